/** One catalogue entry: English and Vietnamese templates; `{name}` is replaced by params.name. */
export interface CatalogueEntry {
  en: string;
  vi: string;
}
export type CatalogueSection = Record<string, CatalogueEntry>;
