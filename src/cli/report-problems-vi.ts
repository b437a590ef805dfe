/**
 * Vietnamese wording of the verification problems (which services record in English, the language of the
 * JSON report and of CI logs). Pattern → template; a problem no pattern knows is shown in English after
 * "chi tiết (tiếng Anh):" so that nothing is hidden from the clerk.
 */
const RULES: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^the document bytes do not match the signed digest/, () => 'nội dung văn bản không khớp với giá trị băm đã ký (văn bản bị sửa sau khi ký)'],
  [/^the signature value does not verify/, () => 'giá trị chữ ký không khớp với chứng thư số của người ký'],
  [/^the signature \(CMS\) cannot be parsed/, () => 'không đọc được dữ liệu chữ ký (CMS)'],
  [/^the signer certificate is not in the signature/, () => 'chữ ký không kèm chứng thư số của người ký'],
  [/^the signature has no \/Contents/, () => 'chữ ký không có giá trị /Contents'],
  [/^\/Contents is empty/, () => 'giá trị chữ ký /Contents rỗng'],
  [/^\/Contents is not a string/, () => 'giá trị /Contents không phải chuỗi'],
  [/^\/Contents has an odd number of hex digits/, () => '/Contents có số chữ số hex lẻ'],
  [/^the signature has no \/ByteRange/, () => 'chữ ký không có /ByteRange'],
  [/^\/ByteRange/, () => 'vùng ký /ByteRange không hợp lệ'],
  [/^the file is shorter than \/ByteRange says/, () => 'tệp ngắn hơn vùng ký /ByteRange'],
  [/^the unsigned gap|^the bytes excluded by \/ByteRange/, () => 'vùng không được ký chứa dữ liệu khác ngoài chữ ký (tấn công bọc chữ ký)'],
  [/^the signed range ends at byte (\d+)/, (m) => `vùng ký kết thúc ở byte ${m[1]}, không phải cuối một phiên bản của tệp`],
  [/^the signature does not cover a whole revision/, () => 'chữ ký không bao trùm trọn một phiên bản của tệp'],
  [/^bytes were appended after the end of the PDF/, () => 'có dữ liệu được nối thêm sau cuối tệp PDF mà không có bảng tham chiếu (tấn công lưu tăng dần)'],
  [/^a later update removed or replaced this signature/, () => 'một lần cập nhật sau đã gỡ bỏ hoặc thay thế chữ ký này'],
  [/^a later update replaced the document catalog/, () => 'một lần cập nhật sau đã thay thế danh mục gốc của văn bản (/Root)'],
  [/^the certification \(DocMDP P=1\) forbids/, () => 'chứng thực DocMDP P=1 không cho phép bất kỳ thay đổi nào'],
  [/^page (\d+) changed \((.*)\)$/, (m) => `trang ${m[1]} đã bị thay đổi (${m[2]})`],
  [/^the page tree changed/, () => 'cây trang đã bị thay đổi (thêm, bớt hoặc đổi thứ tự trang)'],
  [/^the document catalog changed \((.*)\)$/, (m) => `danh mục gốc của văn bản đã bị thay đổi (${m[1]})`],
  [/^the document catalog points at a different form/, () => 'danh mục gốc trỏ tới một biểu mẫu khác (/AcroForm)'],
  [/^the form dictionary changed \((.*)\)$/, (m) => `từ điển biểu mẫu đã bị thay đổi (${m[1]})`],
  [/^form fields were removed after signing/, () => 'trường biểu mẫu đã bị xóa sau khi ký'],
  [/^field "(.*)" is locked by a signature/, (m) => `trường "${m[1]}" đã bị khóa bởi một chữ ký`],
  [/^field "(.*)" changed beyond its value/, (m) => `trường "${m[1]}" bị thay đổi ngoài giá trị nhập`],
  [/^signature field "(.*)" was changed after signing/, (m) => `ô chữ ký "${m[1]}" bị thay đổi sau khi ký`],
  [/^the widget of signature field "(.*)" was changed/, (m) => `hình hiển thị của ô chữ ký "${m[1]}" bị thay đổi sau khi ký`],
  [/^the appearance of (?:field "(.*)"|an annotation) was changed/, (m) => (m[1] ? `hình hiển thị của trường "${m[1]}" bị thay đổi sau khi ký` : 'hình hiển thị của một chú thích bị thay đổi sau khi ký')],
  [/^signature dictionary \d+ was changed after signing/, () => 'từ điển chữ ký bị thay đổi sau khi ký'],
  [/^object (\d+), unused when signed, is now part of the document/, (m) => `đối tượng ${m[1]} không dùng lúc ký nay được đưa vào văn bản (tấn công bóng)`],
  [/^object (\d+), referenced but missing when signed/, (m) => `đối tượng ${m[1]} bị thiếu lúc ký nay được bổ sung (tấn công bóng)`],
  [/^object (\d+) of the signed revision was deleted/, (m) => `đối tượng ${m[1]} của phiên bản đã ký bị xóa`],
  [/^object (\d+) of the signed revision changed/, (m) => `đối tượng ${m[1]} của phiên bản đã ký bị thay đổi (nội dung trang, tài nguyên hoặc dữ liệu khác)`],
  [/^an unsigned signature field with a visible appearance was added to page (\d+)/, (m) => `một ô chữ ký chưa ký có hình hiển thị được thêm vào trang ${m[1]} của văn bản đã chứng thực (tấn công chữ ký lén)`],
  [/^an annotation \(\/(\w+|\?)\) that can cover page (\d+) was added/, (m) => `một chú thích (/${m[1]}) có thể che nội dung trang ${m[2]} được thêm vào văn bản đã chứng thực (tấn công chú thích độc)`],
  [/^an annotation \(\/(\w+|\?)\) was added to page (\d+), which the certification \(DocMDP P=(\d)\) forbids/, (m) => `một chú thích (/${m[1]}) được thêm vào trang ${m[2]}, điều mà chứng thực DocMDP P=${m[3]} không cho phép`],
  [/^an annotation was changed, which the certification/, () => 'một chú thích bị thay đổi, điều mà chứng thực không cho phép'],
  [/^an annotation was removed from page (\d+)/, (m) => `một chú thích bị xóa khỏi trang ${m[1]} của văn bản đã chứng thực`],
  [/^a form or signature widget was removed from page (\d+)/, (m) => `một ô biểu mẫu hoặc ô chữ ký bị xóa khỏi trang ${m[1]}`],
  [/^a form field "(.*)" was added to a certified document/, (m) => `trường biểu mẫu "${m[1]}" được thêm vào văn bản đã chứng thực`],
  [/^a form field widget was added to page (\d+)/, (m) => `ô biểu mẫu được thêm vào trang ${m[1]} của văn bản đã chứng thực`],
  [/^the document has too many objects/, () => 'văn bản có quá nhiều đối tượng để so sánh đầy đủ'],
  [/^the changes after signing could not be analysed/, () => 'không phân tích được các thay đổi sau khi ký'],
  [/^the certificate chain could not be validated/, () => 'không kiểm tra được chuỗi chứng thư số'],
  [/^no trusted root found/, () => 'không tìm thấy chứng thư gốc tin cậy cho chứng thư của người ký'],
  [/^the signer certificate expired on ([^ ]+)/, (m) => `chứng thư số của người ký đã hết hạn ngày ${m[1]}`],
  [/revoked/i, () => 'chứng thư số đã bị thu hồi'],
];

export function problemVi(en: string): string {
  for (const [re, f] of RULES) {
    const m = re.exec(en);
    if (m) return f(m);
  }
  return `chi tiết (tiếng Anh): ${en}`;
}
