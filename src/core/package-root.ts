import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * kyso's installation folder (the one holding package.json), found by walking up from this module: the same
 * answer from src/ (tests), the per-module dist/ and the bundle in dist/bundle/, whatever the folder depth.
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('kyso: cannot find its installation folder (package.json)');
    dir = up;
  }
  root = dir;
  return dir;
}

/** A file or folder shipped under assets/ (fonts, trust anchors). */
export function assetPath(...parts: string[]): string {
  return path.join(packageRoot(), 'assets', ...parts);
}
