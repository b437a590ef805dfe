/**
 * The one way src/ (and tests that hand pdf-lib objects to src/) import pdf-lib. It loads the package's
 * single-file ESM bundle instead of its CommonJS build (hundreds of modules, ~0.2 s of CPU to import, paid by
 * every \`kyso\` start that touches PDFs and by every \`kyso verify --jobs\` worker; the bundle takes ~0.06 s).
 * Everything must come from this module: two copies of pdf-lib in one process break \`instanceof\` and
 * PDFName identity (PDFDict keys are compared by object). The bundle is the same pdf-lib 1.17.1 build;
 * its types are the package's. Add a name here when src/ needs another export.
 */
import type * as T from 'pdf-lib';
// @ts-expect-error the bundle file has no type declarations of its own: typed as the package below
import * as bundle from 'pdf-lib/dist/pdf-lib.esm.min.js';

const lib = bundle as typeof T;

export const PDFArray = lib.PDFArray;
export type PDFArray = T.PDFArray;
export const PDFBool = lib.PDFBool;
export type PDFBool = T.PDFBool;
export const PDFContext = lib.PDFContext;
export type PDFContext = T.PDFContext;
export const PDFDict = lib.PDFDict;
export type PDFDict = T.PDFDict;
export const PDFDocument = lib.PDFDocument;
export type PDFDocument = T.PDFDocument;
export const PDFFont = lib.PDFFont;
export type PDFFont = T.PDFFont;
export const PDFHexString = lib.PDFHexString;
export type PDFHexString = T.PDFHexString;
export const PDFInvalidObject = lib.PDFInvalidObject;
export type PDFInvalidObject = T.PDFInvalidObject;
export const PDFName = lib.PDFName;
export type PDFName = T.PDFName;
export const PDFNumber = lib.PDFNumber;
export type PDFNumber = T.PDFNumber;
export const PDFObject = lib.PDFObject;
export type PDFObject = T.PDFObject;
export const PDFPage = lib.PDFPage;
export type PDFPage = T.PDFPage;
export const PDFRawStream = lib.PDFRawStream;
export type PDFRawStream = T.PDFRawStream;
export const PDFRef = lib.PDFRef;
export type PDFRef = T.PDFRef;
export const PDFStream = lib.PDFStream;
export type PDFStream = T.PDFStream;
export const PDFString = lib.PDFString;
export type PDFString = T.PDFString;
export const PDFContentStream = lib.PDFContentStream;
export type PDFContentStream = T.PDFContentStream;
export const PDFCatalog = lib.PDFCatalog;
export type PDFCatalog = T.PDFCatalog;
export const PDFPageLeaf = lib.PDFPageLeaf;
export type PDFPageLeaf = T.PDFPageLeaf;
export const PDFPageTree = lib.PDFPageTree;
export type PDFPageTree = T.PDFPageTree;
export const PDFOperator = lib.PDFOperator;
export type PDFOperator = T.PDFOperator;
export const PDFImage = lib.PDFImage;
export type PDFImage = T.PDFImage;
export const PDFForm = lib.PDFForm;
export type PDFForm = T.PDFForm;
export const StandardFonts = lib.StandardFonts;
export type StandardFonts = T.StandardFonts;
export const PDFNull = lib.PDFNull;
export const rgb = lib.rgb;
export const degrees = lib.degrees;
export const ParseSpeeds = lib.ParseSpeeds;
export const CustomFontSubsetEmbedder = lib.CustomFontSubsetEmbedder;
export const PngEmbedder = lib.PngEmbedder;
export type PngEmbedder = T.PngEmbedder;
export const JpegEmbedder = lib.JpegEmbedder;
export type JpegEmbedder = T.JpegEmbedder;
