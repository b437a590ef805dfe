/** Generated real-world PDF shapes (see real-world-pdfs.mjs). */
export interface Shape {
  name: string;
  file: string;
  pages: number;
  expect: 'sign' | 'refuse';
  /** signatures the input already has (signed by another tool) */
  signatures?: number;
}
export interface AssembleOptions {
  eol?: string;
  trailer?: string;
  header?: string;
  prefix?: string;
  relativeOffsets?: boolean;
  finalEol?: boolean;
  tail?: string | Buffer;
  startxref?: number;
  noXref?: boolean;
  root?: number;
}
export function assemble(objs: Array<[number, string | Buffer]>, o?: AssembleOptions): Buffer;
export function stream(dict: string, data: string | Buffer): Buffer;
export function flatObjects(pages: number, o?: { attachment?: Buffer; catalogExtra?: string; pageExtra?: (i: number) => string }): Array<[number, string | Buffer]>;
export function flatPdf(pages: number, o?: AssembleOptions & { attachment?: Buffer; catalogExtra?: string; pageExtra?: (i: number) => string }): Buffer;
export function deepTreePdf(depth: number): Buffer;
export function sharedAnnotsPdf(): Buffer;
export function preparedFieldsPdf(names: string[]): Buffer;
export function withIncrementalEdit(pdf: Buffer, contentObj?: number): Buffer;
export function hybridPdf(sparse?: boolean): Buffer;
export function conflictingPdf(): Buffer;
export function writeShapes(dir: string, o?: { bigPages?: number; p12?: string; password?: string }): Shape[];
