/** Rate-limited warnings shared by device nodes: the status shows every problem, the log only some. */
import type { Node } from './red';

/** Problems of one kind are logged at most this often. */
export const LOG_EVERY_MS = 60_000;

/**
 * Returns `warn(kind, text)`: logs `text` as a node warning at most once per `everyMs` for each
 * kind. Digits in the kind are ignored, so "timeout after 1000 ms" and "… 2000 ms" count as one.
 */
export function rateLimitedWarn(node: Pick<Node, 'warn'>, everyMs = LOG_EVERY_MS, now: () => number = Date.now): (kind: string, text: string) => void {
  const lastLogged = new Map<string, number>();
  return (kind, text) => {
    const key = kind.replace(/\d+/g, '#');
    const t = now();
    const prev = lastLogged.get(key);
    if (prev !== undefined && t - prev < everyMs) return;
    lastLogged.set(key, t);
    node.warn(text);
  };
}
