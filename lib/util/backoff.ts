/**
 * Exponential backoff with an upper bound: min, 2·min, 4·min … max. reset() after a success.
 *
 * `maxMs` is the cap. A device link caps at LINK_BACKOFF_CAP_MS (issue 11 defect 2: a device that
 * comes back must be read again within about 5 s), and probes cheaply while the device is down.
 * The default cap is that value; callers that pass their own maxMs keep it.
 */
export const LINK_BACKOFF_CAP_MS = 5000;

export class Backoff {
  private attempt = 0;
  constructor(
    private readonly minMs = 1000,
    private readonly maxMs = LINK_BACKOFF_CAP_MS,
  ) {}
  next(): number {
    const ms = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return ms;
  }
  reset(): void {
    this.attempt = 0;
  }
  /** Failed attempts since the last reset (0 = the link is up). */
  get failures(): number {
    return this.attempt;
  }
}
