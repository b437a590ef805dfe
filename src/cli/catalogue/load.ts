/**
 * The problem catalogue (36 kB of messages in two languages), loaded when a report has a problem to say: a
 * `--json` run (its envelope may carry problems), a text report with a problem or a warning in it, the JUnit
 * and HTML reports. `kyso --help`, `kyso sign` and a verify whose files all pass never load it (~2 ms of
 * start-up, issue 16). Whoever writes a report calls loadCatalogue() before; rendering a problem without it
 * is a bug and throws.
 */
import type * as Catalogue from './index.js';

let loaded: typeof Catalogue | undefined;

export async function loadCatalogue(): Promise<typeof Catalogue> {
  loaded ??= await import('./index.js');
  return loaded;
}

export function loadedCatalogue(): typeof Catalogue {
  if (!loaded) throw new Error('a problem to render before loadCatalogue() loaded the catalogue');
  return loaded;
}
