import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The Patchbay checkout (or install) this code runs from: the nearest folder above with a package.json. */
export function patchbayRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The version in Patchbay's package.json. */
export function patchbayVersion(): string {
  return (JSON.parse(readFileSync(join(patchbayRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
