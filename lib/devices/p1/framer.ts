/**
 * Byte-stream framer for P1 telegrams (shared/protocols/p1-dsmr.md §2.10, §2.11 point 1).
 *
 * State machine: "seek '/'" → "collect" → after '!' read 0–4 hex CRC digits. Every byte is masked with 0x7F
 * (7E1 data read as 8N1 carries the parity bit in bit 7, §2.1). A frame runs from '/' through the last CRC
 * digit and is complete at the first non-hex character after '!' (CR/LF, NUL, anything) or right after the
 * 4th digit. Rules shared with parser.ts so both see the same span:
 *  - while seeking, any '/' starts a frame (garbage, 0xFF padding, a partial telegram before it are dropped);
 *  - while collecting, a '/' at the START OF A LINE aborts the current frame and starts a new one (§2.10 #1);
 *    a '/' elsewhere is data (e.g. inside a text message `0-0:96.13.0(test-/-test)`);
 *  - the end marker is a '!' outside parentheses (paren depth 0 on its line), so a '!' inside a value is data;
 *  - a frame longer than maxBytes is dropped (counted as oversize) and the framer resyncs on the next '/'.
 */

export interface P1FramerOptions {
  /** Hard cap per frame in bytes (default 16384, §2.10 #20). */
  maxBytes?: number;
}

export interface P1FramerCounters {
  /** Complete frames returned. */
  frames: number;
  /** Frames dropped because they grew beyond maxBytes. */
  oversize: number;
  /** Frames cut off by a new header ('/' at the start of a line) before their '!'. */
  aborted: number;
  /** Bytes outside frames (CR, LF and NUL not counted). */
  garbageBytes: number;
}

const SEEK = 0;
const COLLECT = 1;
const CRC = 2;

function isHex(b: number): boolean {
  return (b >= 48 && b <= 57) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102);
}

export class P1Framer {
  readonly counters: P1FramerCounters = { frames: 0, oversize: 0, aborted: 0, garbageBytes: 0 };
  private readonly maxBytes: number;
  private readonly buf: Buffer;
  private len = 0;
  private state = SEEK;
  private depth = 0;
  private lineStart = false;
  private hexCount = 0;

  constructor(opts?: P1FramerOptions) {
    const m = opts?.maxBytes;
    this.maxBytes = typeof m === 'number' && Number.isFinite(m) && m >= 8 ? Math.floor(m) : 16384;
    this.buf = Buffer.allocUnsafe(this.maxBytes);
  }

  /** Feed bytes (or a string, one char per byte); returns the frames completed by this chunk, in order. */
  push(chunk: Uint8Array | string): string[] {
    const out: string[] = [];
    if (typeof chunk === 'string') {
      for (let i = 0; i < chunk.length; i++) this.byte(chunk.charCodeAt(i) & 0x7f, out);
    } else if (chunk instanceof Uint8Array) {
      for (let i = 0; i < chunk.length; i++) this.byte(chunk[i] & 0x7f, out);
    }
    return out;
  }

  /** Drop a partially collected frame (e.g. on reconnect); counters are kept. */
  flush(): void {
    this.state = SEEK;
    this.len = 0;
    this.depth = 0;
    this.hexCount = 0;
    this.lineStart = false;
  }

  /** flush() and zero the counters. */
  reset(): void {
    this.flush();
    this.counters.frames = 0;
    this.counters.oversize = 0;
    this.counters.aborted = 0;
    this.counters.garbageBytes = 0;
  }

  private begin(): void {
    this.buf[0] = 47;
    this.len = 1;
    this.state = COLLECT;
    this.depth = 0;
    this.lineStart = false;
  }

  private emit(out: string[]): void {
    out.push(this.buf.toString('latin1', 0, this.len));
    this.counters.frames++;
    this.state = SEEK;
    this.len = 0;
  }

  private byte(b: number, out: string[]): void {
    if (this.state === CRC) {
      if (this.hexCount < 4 && isHex(b)) {
        this.buf[this.len++] = b;
        if (++this.hexCount === 4) this.emit(out);
        return;
      }
      this.emit(out);
      // fall through: this byte (CR, LF, NUL, '/', ...) is looked at in SEEK state
    }
    if (this.state === SEEK) {
      if (b === 47) this.begin();
      else if (b !== 13 && b !== 10 && b !== 0) this.counters.garbageBytes++;
      return;
    }
    // COLLECT
    if (b === 47 && this.lineStart) {
      this.counters.aborted++;
      this.begin();
      return;
    }
    if (this.len >= this.maxBytes - 4) {
      // no room for this byte plus up to 4 CRC digits: drop the frame and resync on the next '/'
      this.counters.oversize++;
      this.state = SEEK;
      this.len = 0;
      if (b === 47) this.begin();
      else if (b !== 13 && b !== 10 && b !== 0) this.counters.garbageBytes++;
      return;
    }
    this.buf[this.len++] = b;
    if (b === 13 || b === 10) {
      this.lineStart = true;
      this.depth = 0;
      return;
    }
    this.lineStart = false;
    if (b === 40) this.depth++;
    else if (b === 41) {
      if (this.depth > 0) this.depth--;
    } else if (b === 33 && this.depth === 0) {
      this.state = CRC;
      this.hexCount = 0;
    }
  }
}
