import { inputError, KysoError, msg, usageError } from '../core/errors.js';

/** The bilingual errors of the PDF layer. Each names the file when there is one. */
const f = (file?: string) => (file ? `${file}: ` : '');

export const pdfErrors = {
  notFound: (file: string, cause?: unknown) =>
    inputError('INPUT_NOT_FOUND', msg(`${file}: file not found`, `${file}: không tìm thấy tệp`), { cause }),
  unreadable: (file: string, cause?: unknown) =>
    inputError('INPUT_UNREADABLE', msg(`${file}: cannot read the file`, `${file}: không đọc được tệp`), { cause }),
  empty: (file?: string) =>
    inputError('INPUT_NOT_PDF', msg(`${f(file)}the file is empty (0 bytes), not a PDF`, `${f(file)}tệp rỗng (0 byte), không phải PDF`)),
  notPdf: (file?: string) =>
    inputError('INPUT_NOT_PDF', msg(`${f(file)}not a PDF file (no %PDF- header)`, `${f(file)}không phải tệp PDF (thiếu phần đầu %PDF-)`)),
  truncated: (file?: string) =>
    inputError(
      'INPUT_MALFORMED',
      msg(`${f(file)}the PDF is truncated or damaged (no trailer / %%EOF at the end)`, `${f(file)}tệp PDF bị cắt cụt hoặc hỏng (thiếu trailer / %%EOF ở cuối)`),
    ),
  malformed: (file: string | undefined, detail: string, cause?: unknown) =>
    inputError(
      'INPUT_MALFORMED',
      msg(`${f(file)}the PDF is damaged and cannot be read (${detail})`, `${f(file)}tệp PDF bị hỏng, không đọc được (${detail})`),
      { cause, details: { detail } },
    ),
  streamTooLarge: (file: string | undefined, max: number) =>
    inputError(
      'INPUT_STREAM_TOO_LARGE',
      msg(`${f(file)}a stream in the PDF inflates past ${max} bytes (refused)`, `${f(file)}một luồng dữ liệu trong PDF giải nén vượt quá ${max} byte (bị từ chối)`),
    ),
  encrypted: (file?: string) =>
    inputError(
      'INPUT_ENCRYPTED',
      msg(`${f(file)}the PDF is encrypted (password-protected); remove the encryption before signing`, `${f(file)}tệp PDF đã được mã hóa (có mật khẩu); hãy gỡ mã hóa trước khi ký`),
    ),
  docMdpLocked: (file?: string) =>
    inputError(
      'INPUT_DOCMDP_LOCKED',
      msg(
        `${f(file)}the document is certified with DocMDP permission 1 (no changes allowed); another signature would invalidate the certification`,
        `${f(file)}văn bản đã được chứng thực với quyền DocMDP 1 (không cho phép thay đổi); thêm chữ ký sẽ làm mất hiệu lực chứng thực`,
      ),
    ),
  signedDamaged: (file?: string) =>
    inputError(
      'INPUT_SIGNED_DAMAGED',
      msg(
        `${f(file)}the PDF is already signed but its cross-reference table is damaged; it will not be repaired (that would break the existing signatures)`,
        `${f(file)}tệp PDF đã có chữ ký nhưng bảng tham chiếu chéo bị hỏng; không sửa tệp (việc sửa sẽ làm hỏng các chữ ký hiện có)`,
      ),
    ),
  noPages: (file?: string) =>
    inputError('INPUT_NO_PAGES', msg(`${f(file)}the document has no pages; there is nothing to sign`, `${f(file)}văn bản không có trang nào; không có gì để ký`)),
  catalogObjectZero: (file?: string) =>
    inputError(
      'INPUT_MALFORMED',
      msg(`${f(file)}the PDF is damaged: its catalog is object 0, which PDF does not allow`, `${f(file)}tệp PDF bị hỏng: danh mục gốc là đối tượng số 0, điều PDF không cho phép`),
    ),
  recoveredDiffers: (file: string | undefined, detail: string) =>
    inputError(
      'INPUT_AMBIGUOUS',
      msg(
        `${f(file)}the PDF is damaged and its objects describe a different document than its cross-reference table (${detail}); not signed, because it is unclear which document the reader sees`,
        `${f(file)}tệp PDF bị hỏng và các đối tượng của nó mô tả một văn bản khác với bảng tham chiếu chéo (${detail}); không ký, vì không rõ người đọc thấy văn bản nào`,
      ),
      { details: { detail } },
    ),
  headerOffset: (file: string | undefined, bytes: number) =>
    inputError(
      'INPUT_HEADER_OFFSET',
      msg(
        `${f(file)}${bytes} byte(s) come before the %PDF- header (a mail-gateway banner?); its offsets do not count from the header, as qpdf and poppler read them, so kyso cannot make a clean copy that starts at the header and does not sign it: save one with qpdf (qpdf in.pdf clean.pdf) and sign that`,
        `${f(file)}có ${bytes} byte đứng trước phần đầu %PDF- (dòng chữ do cổng thư điện tử thêm vào?); các vị trí trong tệp không được tính từ phần đầu như qpdf và poppler đọc, nên kyso không tạo được bản sạch bắt đầu từ phần đầu và không ký: hãy lưu một bản sạch bằng qpdf (qpdf in.pdf clean.pdf) rồi ký bản đó`,
      ),
      { details: { bytes } },
    ),
  headerOffsetSigned: (file: string | undefined, bytes: number) =>
    inputError(
      'INPUT_HEADER_OFFSET',
      msg(
        `${f(file)}${bytes} byte(s) come before the %PDF- header of this signed PDF (a mail-gateway banner?); validators disagree on such a file (mupdf reads no signature in it as valid, pdfsig checks signatures from its first byte), so a signature added to it would not be read the same by every validator, and removing the bytes would break the earlier signatures: not signed; ask the sender for the original file`,
        `${f(file)}có ${bytes} byte đứng trước phần đầu %PDF- của tệp PDF đã ký này (dòng chữ do cổng thư điện tử thêm vào?); các phần mềm kiểm tra hiểu tệp như vậy khác nhau (mupdf coi mọi chữ ký trong đó là không hợp lệ, pdfsig kiểm tra chữ ký từ byte đầu tiên), nên chữ ký thêm vào sẽ không được mọi phần mềm đọc như nhau, và xóa các byte đó sẽ làm hỏng các chữ ký trước: không ký; hãy xin người gửi tệp gốc`,
      ),
      { details: { bytes, signed: true } },
    ),
  encryptedOwnerOnly: (file?: string) =>
    inputError(
      'INPUT_ENCRYPTED',
      msg(
        `${f(file)}the PDF is encrypted with an owner password only (it opens without a password); signing encrypted PDFs is not supported: save a decrypted copy (qpdf --decrypt in.pdf out.pdf) and sign that`,
        `${f(file)}tệp PDF được mã hóa chỉ với mật khẩu chủ sở hữu (mở được không cần mật khẩu); kyso không hỗ trợ ký tệp PDF đã mã hóa: hãy lưu một bản đã gỡ mã hóa (qpdf --decrypt in.pdf out.pdf) rồi ký bản đó`,
      ),
    ),
  encryptedUserPassword: (file?: string) =>
    inputError(
      'INPUT_ENCRYPTED',
      msg(
        `${f(file)}the PDF is encrypted and needs a user password to open; signing encrypted PDFs is not supported: open it with the password, save a decrypted copy and sign that`,
        `${f(file)}tệp PDF được mã hóa và cần mật khẩu người dùng để mở; kyso không hỗ trợ ký tệp PDF đã mã hóa: hãy mở bằng mật khẩu, lưu một bản đã gỡ mã hóa rồi ký bản đó`,
      ),
    ),
  /** `pages`: 1-based page of each field's widget (undefined when not on a page); a terminal prompt lists them */
  chooseField: (file: string | undefined, names: string[], pages: (number | undefined)[] = []) =>
    usageError(
      'FIELD_CHOICE_NEEDED',
      msg(
        `${f(file)}the document has ${names.length} empty signature fields (${names.map((n) => `"${n}"`).join(', ')}); choose one with --field`,
        `${f(file)}văn bản có ${names.length} ô chữ ký còn trống (${names.map((n) => `"${n}"`).join(', ')}); hãy chọn một ô bằng --field`,
      ),
      { details: { fields: names, pages } },
    ),
  fieldSigned: (file: string | undefined, name: string) =>
    usageError('FIELD_ALREADY_SIGNED', msg(`${f(file)}signature field "${name}" is already signed`, `${f(file)}ô chữ ký "${name}" đã được ký`)),
  fieldNotSignature: (file: string | undefined, name: string) =>
    usageError('FIELD_NOT_SIGNATURE', msg(`${f(file)}field "${name}" exists and is not a signature field`, `${f(file)}trường "${name}" đã tồn tại và không phải ô chữ ký`)),
  badFieldName: (name: string) =>
    usageError('FIELD_NAME_INVALID', msg(`invalid signature field name "${name}" (no dots, 1-100 characters)`, `tên ô chữ ký "${name}" không hợp lệ (không có dấu chấm, 1-100 ký tự)`)),
  pageOutOfRange: (file: string | undefined, pageIndex: number, pages: number) =>
    usageError('PAGE_OUT_OF_RANGE', msg(`${f(file)}page ${pageIndex + 1} does not exist (the document has ${pages})`, `${f(file)}không có trang ${pageIndex + 1} (văn bản có ${pages} trang)`)),
  certifyNotFirst: (file?: string) =>
    usageError(
      'CERTIFY_NOT_FIRST',
      msg(`${f(file)}a certification signature must be the first signature, and this document is already signed`, `${f(file)}chữ ký chứng thực phải là chữ ký đầu tiên, nhưng văn bản này đã được ký`),
    ),
  signatureTooLarge: (needed: number, reserved: number) =>
    new KysoError(
      'SIGNATURE_TOO_LARGE',
      'internal',
      msg(`the signature (${needed} bytes) does not fit the reserved space (${reserved} bytes)`, `chữ ký (${needed} byte) không vừa chỗ đã dành (${reserved} byte)`),
      { details: { needed, reserved } },
    ),
  changedWhileSigning: (file: string) =>
    inputError('INPUT_CHANGED', msg(`${file}: the file changed while it was being signed`, `${file}: tệp đã bị thay đổi trong khi đang ký`)),
};
