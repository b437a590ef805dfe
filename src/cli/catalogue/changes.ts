import type { CatalogueSection } from './types.js';

/**
 * Problems of change analysis (what was modified after a signature): src/pdf/revision-diff.ts and the
 * rules in src/pdf/changes/. CHANGE_* are violations (or, for annotations, warnings); ALLOWED_* describe
 * legitimate updates in the list of changes.
 */
export const changeEntries: CatalogueSection = {
  // xref honesty
  CHANGE_XREF_NO_BODY: {
    en: 'a later update re-points object {object} at bytes it did not write (object redefined without a body, revision {revision})',
    vi: 'một lần cập nhật sau trỏ đối tượng {object} tới dữ liệu không do nó ghi (định nghĩa lại đối tượng mà không có nội dung, phiên bản {revision})',
  },
  CHANGE_XREF_WRONG_OBJECT: {
    en: 'the cross-reference table of revision {revision} points object {object} at bytes that do not hold that object',
    vi: 'bảng tham chiếu chéo của phiên bản {revision} trỏ đối tượng {object} tới vị trí không chứa đối tượng đó',
  },
  WARN_XREF_OFFSET_REPAIRED: {
    en: 'the cross-reference table of revision {revision} does not point exactly at object {object}; it was corrected (a producer error: no other object is there)',
    vi: 'bảng tham chiếu chéo của phiên bản {revision} không trỏ chính xác tới đối tượng {object}; đã được hiệu chỉnh (lỗi của phần mềm tạo tệp: không có đối tượng nào khác ở đó)',
  },
  CHANGE_TOO_COMPLEX: { en: 'the document has too many objects to compare completely', vi: 'văn bản có quá nhiều đối tượng, không so sánh được đầy đủ' },
  CHANGES_NOT_ANALYSED_DAMAGED: { en: 'the file is damaged: what changed after signing could not be analysed', vi: 'tệp bị hỏng: không phân tích được những gì đã thay đổi sau khi ký' },
  CHANGE_NOT_ANALYSED: { en: 'the changes after signing could not be analysed ({reason})', vi: 'không phân tích được các thay đổi sau khi ký ({reason})' },
  // catalog, form, pages
  CHANGE_CATALOG: { en: 'the document catalog changed ({keys})', vi: 'danh mục gốc của văn bản đã bị thay đổi ({keys})' },
  CHANGE_ACROFORM: { en: 'the form dictionary changed ({keys})', vi: 'từ điển biểu mẫu đã bị thay đổi ({keys})' },
  CHANGE_FORM_RESOURCES: { en: 'the form resources (/DR) changed beyond adding new entries', vi: 'tài nguyên biểu mẫu (/DR) bị thay đổi, không chỉ thêm mục mới' },
  CHANGE_FIELD_REMOVED: { en: 'form fields were removed after signing', vi: 'trường biểu mẫu đã bị xóa sau khi ký' },
  CHANGE_FIELD_ADDED_CERTIFIED: { en: 'form field "{field}" was added, which the certification (P={p}) forbids', vi: 'trường biểu mẫu "{field}" được thêm vào, điều mà chứng thực (P={p}) không cho phép' },
  CHANGE_FIELD_LOCKED: { en: 'field "{field}" is locked by a signature', vi: 'trường "{field}" đã bị khóa bởi một chữ ký' },
  CHANGE_FIELD_BEYOND_VALUE: { en: 'field "{field}" changed beyond its value ({keys})', vi: 'trường "{field}" bị thay đổi ngoài giá trị nhập ({keys})' },
  CHANGE_DOCMDP_P1: { en: 'the certification or field lock (P=1) forbids any change ({role})', vi: 'chứng thực hoặc khóa trường (P=1) không cho phép bất kỳ thay đổi nào ({role})' },
  CHANGE_PAGE: { en: 'page {page} changed ({keys})', vi: 'trang {page} đã bị thay đổi ({keys})' },
  CHANGE_PAGE_TREE: { en: 'the page tree changed (pages added, removed or reordered)', vi: 'cây trang đã bị thay đổi (thêm, bớt hoặc đổi thứ tự trang)' },
  CHANGE_STRUCTURE_TREE: { en: 'the structure tree (tags) changed beyond an addition (object {object})', vi: 'cây cấu trúc (thẻ) bị thay đổi, không chỉ bổ sung (đối tượng {object})' },
  CHANGE_OBJECT: { en: 'object {object} of the signed revision changed (page content, resources or other document data)', vi: 'đối tượng {object} của phiên bản đã ký bị thay đổi (nội dung trang, tài nguyên hoặc dữ liệu khác)' },
  CHANGE_OBJECT_DELETED: { en: 'object {object} of the signed revision was deleted', vi: 'đối tượng {object} của phiên bản đã ký bị xóa' },
  CHANGE_SHARED_OBJECT: {
    en: 'object {object} was changed as part of a field or annotation, but the signed document also uses it elsewhere',
    vi: 'đối tượng {object} bị thay đổi như một phần của trường hoặc chú thích, nhưng văn bản đã ký còn dùng nó ở chỗ khác',
  },
  CHANGE_DANGLING_DEFINED: { en: 'object {object}, referenced but missing when signed, was defined later (shadow attack)', vi: 'đối tượng {object} bị thiếu lúc ký nay được bổ sung (tấn công bóng)' },
  CHANGE_UNUSED_OBJECT_USED: { en: 'object {object}, unused when signed, is now part of the document (shadow attack)', vi: 'đối tượng {object} không dùng lúc ký nay được đưa vào văn bản (tấn công bóng)' },
  // signatures
  CHANGE_SIGNATURE_DICT: { en: 'signature dictionary {object} was changed after signing', vi: 'từ điển chữ ký {object} bị thay đổi sau khi ký' },
  CHANGE_SIGNATURE_FIELD: { en: 'signature field "{field}" was changed after signing', vi: 'ô chữ ký "{field}" bị thay đổi sau khi ký' },
  CHANGE_SIGNATURE_APPEARANCE: { en: 'the appearance of signature field "{field}" was changed after signing', vi: 'hình hiển thị của ô chữ ký "{field}" bị thay đổi sau khi ký' },
  CHANGE_SNEAKY_SIGNATURE: {
    en: 'an unsigned signature field "{field}" with a visible appearance was added to page {page} of a certified document (sneaky signature)',
    vi: 'một ô chữ ký chưa ký "{field}" có hình hiển thị được thêm vào trang {page} của văn bản đã chứng thực (tấn công chữ ký lén)',
  },
  CHANGE_CERTIFICATION_NOT_FIRST: {
    en: 'this certification signature was added after other signatures; a certification signature must be the first one (ISO 32000-2 §12.8.2.2)',
    vi: 'chữ ký chứng thực này được thêm sau các chữ ký khác; chữ ký chứng thực phải là chữ ký đầu tiên (ISO 32000-2 §12.8.2.2)',
  },
  WARN_SIGNATURE_OVER_TEXT: {
    en: 'the visible signature "{field}" added on page {page} is drawn over the page text',
    vi: 'chữ ký hiển thị "{field}" thêm vào trang {page} được vẽ đè lên chữ của trang',
  },
  // annotations
  CHANGE_WIDGET_REMOVED: { en: 'a form or signature widget was removed from page {page}', vi: 'một ô biểu mẫu hoặc ô chữ ký đã bị gỡ khỏi trang {page}' },
  CHANGE_ANNOTATION_REMOVED_CERTIFIED: { en: 'an annotation was removed from page {page}, which the certification (P={p}) forbids', vi: 'một chú thích bị gỡ khỏi trang {page}, điều mà chứng thực (P={p}) không cho phép' },
  CHANGE_ANNOTATION_ADDED_CERTIFIED: {
    en: 'an annotation (/{subtype}) was added to page {page}, which the certification (P={p}) forbids',
    vi: 'một chú thích (/{subtype}) được thêm vào trang {page}, điều mà chứng thực (P={p}) không cho phép',
  },
  CHANGE_EVIL_ANNOTATION: {
    en: 'an annotation (/{subtype}) that can cover page {page} was added or changed on a certified document (evil annotation)',
    vi: 'một chú thích (/{subtype}) có thể che nội dung trang {page} được thêm hoặc sửa trên văn bản đã chứng thực (tấn công chú thích)',
  },
  CHANGE_ANNOTATION_CERTIFIED: { en: 'an annotation on page {page} was changed, which the certification (P={p}) forbids', vi: 'một chú thích trên trang {page} bị sửa, điều mà chứng thực (P={p}) không cho phép' },
  CHANGE_ANNOTATION_TYPE: { en: 'an annotation on page {page} changed its type', vi: 'một chú thích trên trang {page} bị đổi loại' },
  CHANGE_ANNOTATION_ADDED: { en: 'an annotation (/{subtype}) drawn on page {page} was added or changed after signing', vi: 'một chú thích (/{subtype}) vẽ trên trang {page} được thêm hoặc sửa sau khi ký' },
  CHANGE_ANNOTATIONS_UNSIGNED: {
    en: 'the page looks different from what was signed: {count} annotation(s) drawn on it after signing are covered by no signature',
    vi: 'trang hiển thị khác với bản đã ký: {count} chú thích được vẽ lên sau khi ký mà không có chữ ký nào bao trùm',
  },
  // allowed updates (listed among the changes)
  ALLOWED_ANNOTATION_BY_SIGNER: {
    en: 'annotation (/{subtype}) on page {page} added by {signer} with {field}',
    vi: 'chú thích (/{subtype}) trên trang {page} do {signer} thêm cùng chữ ký {field}',
  },
  ALLOWED_CATALOG: { en: 'catalog: {keys}', vi: 'danh mục gốc: {keys}' },
  ALLOWED_CATALOG_COPY: { en: 'the catalog was replaced by a copy ({keys})', vi: 'danh mục gốc được thay bằng bản sao ({keys})' },
  ALLOWED_ACROFORM: { en: 'form dictionary: {keys}', vi: 'từ điển biểu mẫu: {keys}' },
  ALLOWED_DR_ADDITION: { en: 'form resources: entries added (fonts)', vi: 'tài nguyên biểu mẫu: thêm mục mới (phông chữ)' },
  ALLOWED_FILL: { en: 'form field "{field}" filled in', vi: 'trường "{field}" được điền' },
  ALLOWED_SIGNED_EMPTY_FIELD: { en: 'the empty signature field "{field}" was signed', vi: 'ô chữ ký trống "{field}" đã được ký' },
  ALLOWED_OWN_APPEARANCE: { en: 'the appearance of signature field "{field}" was drawn when it was signed', vi: 'hình hiển thị của ô chữ ký "{field}" được vẽ khi ký' },
  ALLOWED_ANNOTS: { en: 'page {page} annotations: new signature widgets', vi: 'chú thích trang {page}: thêm ô chữ ký mới' },
  ALLOWED_ANNOTATION_EDIT: { en: 'an annotation (comment) on page {page} was edited', vi: 'một chú thích (ghi chú) trên trang {page} được sửa' },
  ALLOWED_ANNOTATION_DELETED: { en: 'an annotation on page {page} was deleted', vi: 'một chú thích trên trang {page} được xóa' },
  ALLOWED_STRUCTURE_ADDITION: { en: 'structure tree: elements added', vi: 'cây cấu trúc: thêm phần tử' },
  ALLOWED_INFO: { en: 'document information', vi: 'thông tin văn bản' },
  ALLOWED_METADATA: { en: 'XMP metadata', vi: 'siêu dữ liệu XMP' },
  ALLOWED_DSS: { en: 'validation data (DSS)', vi: 'dữ liệu xác thực (DSS)' },
  ALLOWED_NEW_OBJECT: { en: 'new object', vi: 'đối tượng mới' },
  ALLOWED_UNUSED_OBJECT: { en: 'an unused object changed or was deleted', vi: 'một đối tượng không dùng bị sửa hoặc xóa' },
};
