/**
 * What every exchange adapter (vdxp, lgsp-bearer, lgsp-oauth2) offers. Adapters throw KysoError:
 *  - category 'exchange-retry' for network errors, timeouts, 5xx and 429 (details.retryAfterMs when the
 *    server said Retry-After; details.mayHaveReached = true when the request body may have reached the
 *    server before the failure, e.g. a dropped connection after sending),
 *  - category 'credentials' for 401/403 (wrong secret), never retried,
 *  - category 'exchange-rejected' for any other 4xx or a FAIL answer, with details.status / details.body.
 */
export type MessageType = 'edoc' | 'status';

export interface SendMeta {
  from: string;
  to: string[];
  messageType: MessageType;
  /** lowercase hex SHA-256 of the edXML bytes */
  sha256: string;
}

export interface ReceivedItem {
  docId: string;
  from: string;
  to?: string[];
  messageType: MessageType;
  createdTime?: string;
  status?: string;
}

export interface SentItem {
  docId: string;
  /** edXML DocumentId of the sent document, when the server reports it */
  documentId?: string;
  /** lowercase hex SHA-256 of the sent bytes, when the server reports it */
  sha256?: string;
  to?: string[];
  messageType?: MessageType;
  sentTime?: string;
  /** "number/notation" (số ký hiệu) as the real sent list carries it */
  notation?: string;
  /** the subject (trích yếu) */
  title?: string;
  receiveStatus?: string;
}

export interface Agency {
  code: string;
  name: string;
  mail?: string;
}

export interface ExchangeTransport {
  readonly name: string;
  sendEdoc(edxml: Uint8Array, meta: SendMeta): Promise<{ docId: string }>;
  listReceived(messageType: MessageType): Promise<ReceivedItem[]>;
  getEdoc(docId: string): Promise<Uint8Array>;
  /** transport acknowledgement after download: done | fail */
  ack(docId: string, status: 'done' | 'fail'): Promise<void>;
  listSent(): Promise<SentItem[]>;
  listAgencies(): Promise<Agency[]>;
  close(): Promise<void>;
  /**
   * Optional streaming variants for large messages (vdxp has them): send the edXML stored at `path`
   * (meta.sha256 must be its SHA-256) without loading it, and download a message into `outPath`
   * (temp file, fsync, rename). Callers fall back to sendEdoc / getEdoc when absent.
   */
  sendEdocFile?(path: string, meta: SendMeta): Promise<{ docId: string }>;
  getEdocToFile?(docId: string, outPath: string): Promise<{ size: number; sha256: string }>;
}
