/** The discovery `origin` block: this package's name and version (from its package.json). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Origin } from './discovery';

let cached: Origin | undefined;

export function packageOrigin(): Origin {
  if (cached) return cached;
  let sw: string | undefined;
  try {
    // dist/lib/ha → the package root.
    sw = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')).version;
  } catch {
    sw = undefined;
  }
  cached = { name: 'node-red-contrib-home-energy', ...(sw ? { sw } : {}), url: 'https://www.npmjs.com/package/node-red-contrib-home-energy' };
  return cached;
}
