/**
 * A problem found while verifying (or analysing changes): a stable code and its parameters. Verdict logic
 * decides on `code` only; text is made from it in src/cli/catalogue, in Vietnamese and English.
 */
export type ProblemParams = Record<string, string | number | boolean | undefined>;

export interface Problem {
  code: string;
  params?: ProblemParams;
}

export function problem(code: string, params?: ProblemParams): Problem {
  return params ? { code, params } : { code };
}
