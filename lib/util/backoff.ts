/** Exponential backoff with an upper bound: 1 s, 2 s, 4 s … max. reset() after a success. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly minMs = 1000,
    private readonly maxMs = 30000,
  ) {}
  next(): number {
    const ms = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return ms;
  }
  reset(): void {
    this.attempt = 0;
  }
}
