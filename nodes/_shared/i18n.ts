/**
 * Message lookup: RED._ with the node's own en-US catalogue as fallback, so texts stay readable
 * where the runtime has not loaded the catalogue (e.g. under node-red-node-test-helper).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeAPI } from './red';

export function translator(RED: NodeAPI, type: string, dir: string): (key: string) => string {
  let catalogue: Record<string, unknown> = {};
  try {
    catalogue = JSON.parse(fs.readFileSync(path.join(dir, 'locales', 'en-US', `${type}.json`), 'utf8'));
  } catch {
    /* no catalogue: keys are shown */
  }
  const lookup = (key: string): string | undefined => {
    let v: unknown = catalogue;
    for (const part of key.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
    return typeof v === 'string' ? v : undefined;
  };
  return (key) => {
    const r = RED._(key);
    return r && r !== key ? r : (lookup(key) ?? key);
  };
}
