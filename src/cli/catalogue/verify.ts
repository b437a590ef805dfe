import type { CatalogueSection } from './types.js';

/**
 * Problems of signature validation (CMS, chain, revocation, timestamps, levels): code → English and
 * Vietnamese templates. `{detail}` params carry a low-level English detail (a parser message, an address)
 * that has no translation; the sentence around it is always in the reader's language.
 */
export const verifyEntries: CatalogueSection = {
  // --- /ByteRange and /Contents (src/pdf/byte-range-check) ---
  BR_NO_BYTERANGE: { en: 'the signature has no valid /ByteRange ({detail})', vi: 'chữ ký không có vùng ký /ByteRange hợp lệ ({detail})' },
  BR_BAD_BYTERANGE: { en: 'the signed range /ByteRange is invalid ({detail})', vi: 'vùng ký /ByteRange không hợp lệ ({detail})' },
  BR_NO_CONTENTS: { en: 'the signature value /Contents is missing or empty', vi: 'chữ ký không có giá trị /Contents hoặc giá trị rỗng' },
  BR_BAD_CONTENTS: { en: 'the signature value /Contents is malformed ({detail})', vi: 'giá trị chữ ký /Contents sai định dạng ({detail})' },
  BR_GAP_MISMATCH: {
    en: 'the unsigned part of the file holds something other than this signature (signature wrapping?): {detail}',
    vi: 'vùng không được ký chứa dữ liệu khác ngoài chữ ký này (tấn công bọc chữ ký?): {detail}',
  },
  BR_PARTIAL: { en: 'the signed range ends at byte {end}, not at the end of a revision', vi: 'vùng ký kết thúc ở byte {end}, không phải cuối một phiên bản của tệp' },
  MALFORMED_SIGNATURE: { en: 'the signature dictionary is malformed', vi: 'từ điển chữ ký sai định dạng' },
  BR_BYTES_BEFORE_HEADER_ADDED: {
    en: '{bytes} byte(s) come before the %PDF- header and this signature counts its signed range from the header, so they were added after signing (a mail gateway?); validators count from the first byte of the file and find the signature broken: remove them (tail -c +{skip} in.pdf > clean.pdf) and verify the clean copy',
    vi: 'có {bytes} byte đứng trước phần đầu %PDF- và chữ ký này tính vùng ký từ phần đầu, nên chúng đã được thêm vào sau khi ký (do cổng thư điện tử?); các phần mềm kiểm tra tính từ byte đầu tiên của tệp nên thấy chữ ký bị hỏng: hãy xóa chúng (tail -c +{skip} in.pdf > clean.pdf) rồi kiểm tra bản sạch',
  },
  BYTES_BEFORE_HEADER: {
    en: '{bytes} byte(s) come before the %PDF- header: pdfsig and kyso check the signature from the first byte of the file, but mupdf (mutool) reads no signature in such a file as valid',
    vi: 'có {bytes} byte đứng trước phần đầu %PDF-: pdfsig và kyso kiểm tra chữ ký từ byte đầu tiên của tệp, nhưng mupdf (mutool) coi mọi chữ ký trong tệp như vậy là không hợp lệ',
  },

  // --- the CMS ---
  CMS_EMPTY: { en: 'the signature value (/Contents) is empty or only zeros', vi: 'giá trị chữ ký (/Contents) rỗng hoặc toàn số 0' },
  CMS_UNPARSEABLE: { en: 'the signature (CMS) cannot be parsed: {detail}', vi: 'không đọc được dữ liệu chữ ký (CMS): {detail}' },
  CMS_NO_SIGNER: { en: 'the CMS has no SignerInfo', vi: 'dữ liệu chữ ký (CMS) không có thông tin người ký (SignerInfo)' },
  CMS_SIGNER_UNCHECKABLE: { en: 'the SignerInfo cannot be checked: {detail}', vi: 'không kiểm tra được thông tin người ký (SignerInfo): {detail}' },
  CMS_SEVERAL_SIGNERS: { en: 'the CMS has {count} SignerInfos; only the first is checked', vi: 'dữ liệu chữ ký có {count} SignerInfo; chỉ kiểm tra cái đầu tiên' },
  CMS_NOT_DETACHED: { en: 'the CMS is not detached (it carries its own content)', vi: 'dữ liệu chữ ký không tách rời (chứa cả nội dung riêng)' },
  CMS_CONTENT_TYPE: { en: 'the CMS content type is {found}, expected {expected}', vi: 'kiểu nội dung của CMS là {found}, cần {expected}' },
  CMS_SHA1_CONTENT_MISMATCH: {
    en: 'the SHA-1 digest signed inside the CMS (adbe.pkcs7.sha1) does not match the document bytes',
    vi: 'giá trị băm SHA-1 được ký trong CMS (adbe.pkcs7.sha1) không khớp với nội dung văn bản',
  },
  CERT_UNPARSEABLE: { en: 'an embedded certificate cannot be parsed: {detail}', vi: 'không đọc được một chứng thư số kèm theo: {detail}' },
  REVOCATION_ARCHIVE_UNREADABLE: {
    en: 'the adbe-revocationInfoArchival attribute cannot be read: {detail}',
    vi: 'không đọc được thuộc tính adbe-revocationInfoArchival: {detail}',
  },
  SEVERAL_SIGNATURE_TIMESTAMPS: { en: '{count} signature timestamps; the first is used', vi: 'có {count} dấu thời gian chữ ký; dùng cái đầu tiên' },
  SIGNER_CERT_MISSING: { en: 'the signer certificate is not in the signature', vi: 'chữ ký không kèm chứng thư số của người ký' },
  SIGNER_ID_AMBIGUOUS: { en: '{count} certificates in the signature match the signer identifier', vi: '{count} chứng thư số trong chữ ký cùng khớp với định danh người ký' },
  DIGEST_UNSUPPORTED: { en: 'unsupported digest algorithm {alg}', vi: 'thuật toán băm {alg} không được hỗ trợ' },
  CONTENT_UNHASHABLE: { en: 'the signed content cannot be hashed: {detail}', vi: 'không tính được giá trị băm của nội dung đã ký: {detail}' },
  ATTR_CONTENT_TYPE_MISSING: { en: 'the contentType signed attribute is missing or repeated', vi: 'thuộc tính ký contentType bị thiếu hoặc lặp lại' },
  ATTR_CONTENT_TYPE_WRONG: { en: 'the contentType signed attribute is {found}, expected {expected}', vi: 'thuộc tính ký contentType là {found}, cần {expected}' },
  ATTR_MESSAGE_DIGEST_MISSING: { en: 'the messageDigest signed attribute is missing or repeated', vi: 'thuộc tính ký messageDigest bị thiếu hoặc lặp lại' },
  ESS_REPEATED: { en: 'the signingCertificate attribute appears more than once', vi: 'thuộc tính signingCertificate xuất hiện nhiều lần' },
  ESS_EMPTY: { en: 'the signingCertificate attribute lists no certificate', vi: 'thuộc tính signingCertificate không nêu chứng thư nào' },
  ESS_HASH_UNSUPPORTED: { en: 'the signingCertificate attribute uses an unsupported hash ({alg})', vi: 'thuộc tính signingCertificate dùng thuật toán băm không được hỗ trợ ({alg})' },
  ESS_CERT_MISMATCH: {
    en: 'the signingCertificate attribute does not match the signer certificate (certificate substitution?)',
    vi: 'thuộc tính signingCertificate không khớp với chứng thư số của người ký (tráo chứng thư?)',
  },
  ESS_SERIAL_MISMATCH: {
    en: 'the signingCertificate attribute names another serial number than the signer certificate',
    vi: 'thuộc tính signingCertificate ghi số hiệu khác với chứng thư số của người ký',
  },
  ESS_MALFORMED: { en: 'the signingCertificate attribute is malformed: {detail}', vi: 'thuộc tính signingCertificate sai định dạng: {detail}' },
  SIG_HASH_DIFFERS: {
    en: 'the signature algorithm hashes with {sigHash} but the digest algorithm is {digest}',
    vi: 'thuật toán chữ ký băm bằng {sigHash} nhưng thuật toán băm khai báo là {digest}',
  },
  NO_SIGNED_ATTRIBUTES: {
    en: 'the signature has no signed attributes (not PAdES; the signer certificate is not bound by the signature)',
    vi: 'chữ ký không có thuộc tính ký (không theo PAdES; chứng thư người ký không được ràng buộc bởi chữ ký)',
  },
  SIGNED_ATTRS_NOT_DER: {
    en: 'the signed attributes are not DER-encoded ({detail}); the signature verifies over the bytes as they are',
    vi: 'các thuộc tính ký không được mã hóa DER ({detail}); chữ ký được kiểm tra trên đúng các byte hiện có',
  },
  NO_SIGNED_ATTRS_ALGORITHM: {
    en: 'a signature without signed attributes is only supported for RSA PKCS#1 v1.5',
    vi: 'chữ ký không có thuộc tính ký chỉ được hỗ trợ với RSA PKCS#1 v1.5',
  },

  // --- verdicts on integrity ---
  DOC_DIGEST_MISMATCH: {
    en: 'the document bytes do not match the signed digest (the file was changed after signing)',
    vi: 'nội dung văn bản không khớp với giá trị băm đã ký (văn bản bị sửa sau khi ký)',
  },
  SIG_VALUE_INVALID: { en: 'the signature value does not verify with the signer certificate ({detail})', vi: 'giá trị chữ ký không khớp với chứng thư số của người ký ({detail})' },
  ALGORITHM_UNSUPPORTED: { en: 'the signature algorithm is not supported ({detail})', vi: 'thuật toán chữ ký không được hỗ trợ ({detail})' },
  WEAK_DIGEST: { en: 'weak digest algorithm {alg}', vi: 'thuật toán băm yếu {alg}' },
  WEAK_SIGNATURE_ALGORITHM: { en: 'weak signature algorithm {alg}', vi: 'thuật toán chữ ký yếu {alg}' },
  X509_RSA_SHA1_NO_CERT: { en: 'the adbe.x509.rsa_sha1 signature has no /Cert entry', vi: 'chữ ký adbe.x509.rsa_sha1 không có mục /Cert' },

  // --- changes and structure ---
  SIGNATURE_REMOVED_LATER: { en: 'a later update removed or replaced this signature', vi: 'một lần cập nhật sau đã gỡ bỏ hoặc thay thế chữ ký này' },
  APPENDED_WITHOUT_XREF: {
    en: 'bytes were appended after the end of the PDF without a cross-reference section (incremental saving attack)',
    vi: 'có dữ liệu được nối thêm sau cuối tệp PDF mà không có bảng tham chiếu (tấn công lưu tăng dần)',
  },
  PARTIAL_COVERAGE: { en: 'the signature does not cover a whole revision of the file', vi: 'chữ ký không bao trùm trọn một phiên bản của tệp' },
  CHANGES_UNANALYSABLE: { en: 'the changes after signing could not be analysed ({detail})', vi: 'không phân tích được các thay đổi sau khi ký ({detail})' },
  CHANGE_DETAIL: { en: '{detail}', vi: 'thay đổi không được phép sau khi ký (chi tiết tiếng Anh): {detail}' },

  // --- certificate chain ---
  CHAIN_UNVALIDATABLE: { en: 'the certificate chain could not be validated ({detail})', vi: 'không kiểm tra được chuỗi chứng thư số ({detail})' },
  CERT_SIGNER_UNPARSEABLE: { en: 'the signer certificate cannot be parsed: {detail}', vi: 'không đọc được chứng thư số của người ký: {detail}' },
  CERTS_TRUNCATED: { en: 'only the first {used} of {total} certificates in the file are used', vi: 'chỉ dùng {used} trên {total} chứng thư số có trong tệp' },
  CHAIN_SEARCH_STOPPED: { en: 'too many candidate certificates: the chain search was stopped', vi: 'quá nhiều chứng thư ứng viên: đã dừng tìm chuỗi chứng thư' },
  CHAIN_UNTRUSTED_ROOT: { en: 'the chain ends at "{subject}", which is not a trusted root', vi: 'chuỗi chứng thư kết thúc ở "{subject}", không phải chứng thư gốc tin cậy' },
  CHAIN_NO_ISSUER: {
    en: 'no trusted root found for "{subject}" (issuer "{issuer}" is neither in the file nor in the trust store)',
    vi: 'không tìm thấy chứng thư gốc tin cậy cho "{subject}" (tổ chức cấp "{issuer}" không có trong tệp lẫn kho tin cậy)',
  },
  AIA_FETCH_FAILED: { en: 'fetching the issuer certificate from {url} failed: {detail}', vi: 'không tải được chứng thư của tổ chức cấp từ {url}: {detail}' },
  CA_NOT_CA: { en: '"{subject}" issues certificates but is not a CA (basicConstraints)', vi: '"{subject}" cấp chứng thư nhưng không phải CA (basicConstraints)' },
  CA_PATH_LENGTH: {
    en: '"{subject}" allows {allowed} intermediate certificate(s) below it, the path has {actual}',
    vi: '"{subject}" chỉ cho phép {allowed} chứng thư trung gian bên dưới, chuỗi có {actual}',
  },
  CA_NO_KEY_CERT_SIGN: { en: '"{subject}" lacks the keyCertSign key usage', vi: '"{subject}" thiếu mục đích sử dụng khóa keyCertSign' },
  SIGNER_KEY_USAGE: {
    en: "the signer certificate's key usage allows neither digitalSignature nor nonRepudiation",
    vi: 'mục đích sử dụng khóa của chứng thư người ký không cho phép digitalSignature hay nonRepudiation',
  },
  TSA_NO_EKU: { en: 'the TSA certificate lacks the timeStamping extended key usage', vi: 'chứng thư của đơn vị cấp dấu thời gian thiếu mục đích mở rộng timeStamping' },
  TSA_KEY_USAGE: { en: "the TSA certificate's key usage does not allow signing", vi: 'mục đích sử dụng khóa của chứng thư đơn vị cấp dấu thời gian không cho phép ký' },
  ANCHOR_OUT_OF_VALIDITY: {
    en: 'the trust anchor "{subject}" is outside its validity period ({from} – {to}); accepted as an anchor',
    vi: 'chứng thư gốc tin cậy "{subject}" ngoài thời hạn hiệu lực ({from} – {to}); vẫn được dùng làm gốc tin cậy',
  },
  CERT_OUT_OF_VALIDITY_POE: {
    en: '"{subject}" is outside its validity period at {at}, but a trusted timestamp proves the signature existed at {poe}, while it was valid',
    vi: '"{subject}" ngoài thời hạn hiệu lực tại {at}, nhưng dấu thời gian tin cậy chứng minh chữ ký đã có tại {poe}, khi chứng thư còn hiệu lực',
  },
  CERT_NOT_YET_VALID: { en: '"{subject}" is not valid yet at {at} (valid from {from})', vi: '"{subject}" chưa có hiệu lực tại {at} (hiệu lực từ {from})' },
  CERT_EXPIRED: { en: '"{subject}" expired on {notAfter} (validation time {at})', vi: '"{subject}" đã hết hạn ngày {notAfter} (thời điểm kiểm tra {at})' },
  CERT_EXPIRED_POE_TOO_LATE: {
    en: '"{subject}" expired on {notAfter}; the earliest trusted timestamp ({poe}) is later, so nothing proves the signature was made while it was valid',
    vi: '"{subject}" đã hết hạn ngày {notAfter}; dấu thời gian tin cậy sớm nhất ({poe}) lại muộn hơn, nên không có gì chứng minh chữ ký được tạo khi chứng thư còn hiệu lực',
  },
  CERT_REVOKED: { en: '"{subject}" was revoked on {revokedAt}{reason}', vi: '"{subject}" đã bị thu hồi ngày {revokedAt}{reason}' },
  CA_REVOKED: { en: 'the issuing CA certificate "{subject}" is revoked', vi: 'chứng thư CA cấp phát "{subject}" đã bị thu hồi' },
  REVOKED_AFTER_POE: {
    en: '"{subject}" was revoked on {revokedAt}, after the time proven by a trusted timestamp ({poe}): the signature predates the revocation',
    vi: '"{subject}" bị thu hồi ngày {revokedAt}, sau thời điểm dấu thời gian tin cậy chứng minh ({poe}): chữ ký có trước khi thu hồi',
  },
  CERT_STATUS: { en: 'certificate {status}', vi: 'chứng thư số: {status}' },

  // --- revocation ---
  REVOCATION_OFF: { en: 'revocation checking is off', vi: 'không kiểm tra tình trạng thu hồi (đã tắt)' },
  REVOCATION_NOT_CHECKED: { en: 'revocation status was not checked', vi: 'chưa kiểm tra tình trạng thu hồi' },
  REVOCATION_NO_SOURCE: {
    en: '"{subject}" publishes no OCSP or CRL address and the file carries no usable revocation data: not checked',
    vi: '"{subject}" không công bố địa chỉ OCSP hay CRL và tệp không kèm dữ liệu thu hồi dùng được: không kiểm tra',
  },
  REVOCATION_OFFLINE: { en: '"{subject}": offline, the OCSP/CRL addresses were not contacted', vi: '"{subject}": không trực tuyến, chưa liên hệ địa chỉ OCSP/CRL' },
  REVOCATION_NOT_FRESH: {
    en: '"{subject}": the {source} revocation data issued at {issued} is older than the best proof of existence of the signature ({poe}) and proves nothing about it',
    vi: '"{subject}": dữ liệu thu hồi {source} phát hành lúc {issued} cũ hơn bằng chứng tồn tại tốt nhất của chữ ký ({poe}) nên không chứng minh được gì',
  },
  REVOCATION_SOURCE_FAILED: { en: '"{subject}": {source} {url} gave no usable answer: {detail}', vi: '"{subject}": {source} {url} không cho câu trả lời dùng được: {detail}' },
  REVOCATION_USED: { en: '"{subject}": revocation status {status} from {source} (issued {issued})', vi: '"{subject}": tình trạng thu hồi {status} theo {source} (phát hành {issued})' },
  OCSP_UNPARSEABLE: { en: 'the OCSP response cannot be parsed: {detail}', vi: 'không đọc được phản hồi OCSP: {detail}' },
  OCSP_STATUS: { en: 'the OCSP responder answered {status}', vi: 'máy chủ OCSP trả lời {status}' },
  OCSP_RESPONDER_NO_EKU: { en: 'the OCSP responder certificate lacks id-kp-OCSPSigning', vi: 'chứng thư của máy chủ OCSP thiếu mục đích id-kp-OCSPSigning' },
  OCSP_RESPONDER_NOT_VALID: { en: 'the OCSP responder certificate was not valid when it answered', vi: 'chứng thư của máy chủ OCSP không còn hiệu lực khi trả lời' },
  OCSP_SIGNER_UNKNOWN: {
    en: 'the OCSP response is not signed by the issuer or a responder it authorised',
    vi: 'phản hồi OCSP không được ký bởi tổ chức cấp hoặc máy chủ được ủy quyền',
  },
  OCSP_SIGNATURE_INVALID: { en: 'the OCSP response signature does not verify ({detail})', vi: 'chữ ký của phản hồi OCSP không hợp lệ ({detail})' },
  OCSP_NO_THIS_UPDATE: { en: 'the OCSP response has no thisUpdate', vi: 'phản hồi OCSP không có thisUpdate' },
  OCSP_FUTURE: { en: 'the OCSP response is dated in the future', vi: 'phản hồi OCSP ghi ngày trong tương lai' },
  OCSP_EXPIRED: { en: 'the OCSP response is out of date (nextUpdate passed)', vi: 'phản hồi OCSP đã quá hạn (quá nextUpdate)' },
  OCSP_CERT_UNKNOWN: { en: 'the OCSP responder does not know the certificate', vi: 'máy chủ OCSP không biết chứng thư này' },
  OCSP_OTHER_CERT: { en: 'the OCSP answer is about another certificate', vi: 'phản hồi OCSP nói về chứng thư khác' },
  CRL_UNPARSEABLE: { en: 'the CRL cannot be parsed: {detail}', vi: 'không đọc được danh sách thu hồi (CRL): {detail}' },
  CRL_SIGNATURE_INVALID: { en: "the CRL is not signed by the issuer's key ({detail})", vi: 'danh sách thu hồi (CRL) không được ký bằng khóa của tổ chức cấp ({detail})' },
  CRL_NO_CRL_SIGN: { en: 'the CRL issuer certificate lacks the cRLSign key usage', vi: 'chứng thư của bên phát hành CRL thiếu mục đích cRLSign' },
  CRL_DELTA_UNSUPPORTED: { en: 'delta CRLs are not supported', vi: 'không hỗ trợ CRL delta' },
  CRL_FUTURE: { en: 'the CRL is dated in the future', vi: 'danh sách thu hồi (CRL) ghi ngày trong tương lai' },
  CRL_EXPIRED: { en: 'the CRL is out of date (nextUpdate passed)', vi: 'danh sách thu hồi (CRL) đã quá hạn (quá nextUpdate)' },
  CRL_OTHER_ISSUER: { en: 'the CRL is from another issuer', vi: 'danh sách thu hồi (CRL) của tổ chức cấp khác' },

  // --- timestamps ---
  TS_UNPARSEABLE: { en: 'the timestamp token cannot be parsed: {detail}', vi: 'không đọc được dấu thời gian: {detail}' },
  TS_NOT_TSTINFO: { en: 'the token does not contain a TSTInfo (content type {found})', vi: 'dấu thời gian không chứa TSTInfo (kiểu nội dung {found})' },
  TS_TSTINFO_UNPARSEABLE: { en: 'the TSTInfo cannot be parsed: {detail}', vi: 'không đọc được TSTInfo: {detail}' },
  TS_IMPRINT_UNSUPPORTED: { en: 'the timestamp imprint uses an unsupported hash {alg}', vi: 'dấu thời gian dùng thuật toán băm không được hỗ trợ {alg}' },
  TS_IMPRINT_MISMATCH: { en: 'the timestamp was made for other data (message imprint mismatch)', vi: 'dấu thời gian được cấp cho dữ liệu khác (giá trị băm không khớp)' },
  TS_IMPRINT_UNHASHABLE: { en: 'the timestamped data cannot be hashed: {detail}', vi: 'không tính được giá trị băm của dữ liệu được gắn dấu thời gian: {detail}' },
  TS_SIGNER_COUNT: { en: 'the token has {count} signers, expected 1', vi: 'dấu thời gian có {count} bên ký, cần đúng 1' },
  TS_TSTINFO_DIGEST_MISMATCH: { en: 'the TSTInfo digest in the token does not match', vi: 'giá trị băm TSTInfo trong dấu thời gian không khớp' },
  TS_SIGNATURE_INVALID: { en: 'the TSA signature does not verify ({detail})', vi: 'chữ ký của đơn vị cấp dấu thời gian không hợp lệ ({detail})' },
  TS_TSA_NOT_VALID_AT_TIME: {
    en: 'the TSA certificate was not valid at the time the token gives ({time})',
    vi: 'chứng thư của đơn vị cấp dấu thời gian không có hiệu lực tại thời điểm ghi trong dấu ({time})',
  },
  TS_INVALID: { en: 'the signature timestamp is not valid', vi: 'dấu thời gian của chữ ký không hợp lệ' },
  TSA_NOT_TRUSTED: {
    en: "the timestamp's authority (TSA) is not trusted ({status}): its time proves nothing",
    vi: 'đơn vị cấp dấu thời gian (TSA) không được tin cậy ({status}): thời điểm của nó không chứng minh được gì',
  },
  TSA_REVOCATION_UNKNOWN: {
    en: 'the revocation status of the timestamp authority could not be checked',
    vi: 'không kiểm tra được tình trạng thu hồi của đơn vị cấp dấu thời gian',
  },
  DOC_TS_NOT_TRUSTED: {
    en: 'the document timestamp is not trusted ({status}): it proves no time and gives no B-LTA level',
    vi: 'dấu thời gian văn bản không được tin cậy ({status}): không chứng minh thời điểm và không đạt mức B-LTA',
  },
  DOC_TS_PROVEN_BY_LATER: {
    en: "the timestamp authority's certificate is checked at {poe}, the time a later trusted document timestamp proves",
    vi: 'chứng thư của đơn vị cấp dấu thời gian được kiểm tra tại {poe}, thời điểm một dấu thời gian văn bản tin cậy về sau chứng minh',
  },
  LEVEL_LT_INCOMPLETE: {
    en: 'the file carries validation data, but not data that validates this signature after its proof of existence: level B-T',
    vi: 'tệp có kèm dữ liệu kiểm tra nhưng không đủ để kiểm tra chữ ký này sau thời điểm tồn tại đã chứng minh: mức B-T',
  },
};
