/**
 * Words allowed in Vietnamese output although they are English (issue 14's list: names scripts type and terms
 * with no Vietnamese form), and Vietnamese syllables without diacritics that are also English words.
 * Shared by the Vietnamese help test and the Vietnamese report test.
 */
export const ALLOWED_ENGLISH = new Set(
  'kyso pki api pin dss jpeg png approve issue appendix copy income pdf pades cades cms json junit xml edxml pkcs p12 pfx ocsp crl tsa url http https sha sha-256 lgsp vdxp ci usb token glob stdin stdout stderr pem der p7b hex iso id docid vnpt smartca viettel mysign csc b-b b-t b-lt b-lta softhsm p11-kit utc tty tsv documentid ctrl tab'
    .split(' '),
);

/** Vietnamese syllables without diacritics that are also English words, or that the English text itself quotes in Vietnamese terms (cơ quan, thay thế, phạm vi). */
export const VIETNAMESE_SYLLABLES = new Set(
  'an anh ban bo cho con da dan do em gan hai hay in la lan long ma man me mo nam ne no on pan sang sao so son ta tan than thi tin to tu van xa ra gian trong qua thu khe kho cung tra ten hop nho ket mat mau ma so ki ky phan sai hang tang thay quan vi'.split(' '),
);
