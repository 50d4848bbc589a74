/**
 * Byte-stream framer for P1 telegrams (shared/protocols/p1-dsmr.md §2.10, §2.11 point 1).
 *
 * State machine: "seek '/'" → "collect" → after '!' read 0–4 hex CRC digits. Every byte is masked with 0x7F
 * (7E1 data read as 8N1 carries the parity bit in bit 7, §2.1). A frame runs from '/' through the last CRC
 * digit and is complete at the first non-hex character after '!' (CR/LF, NUL, anything) or right after the
 * 4th digit; whatever follows (CR LF, a NUL, padding) is outside the frame. Rules shared with parser.ts so both
 * see the same span:
 *  - while seeking, any '/' starts a frame (garbage, 0xFF padding, a partial telegram before it are dropped);
 *  - while collecting, a '/' at the START OF A LINE aborts the current frame and starts a new one (§2.10 #1);
 *    a '/' elsewhere is data (e.g. inside a text message `0-0:96.13.0(test-/-test)`) — except when it is
 *    followed by an identification prefix, 3 letters and a digit (`/ISK5`, `/FLU5`, §2.3): that is a header glued
 *    to a telegram cut off mid-line (bytes lost on the serial line), so it aborts the cut frame as well;
 *  - the end marker is a '!' outside parentheses (paren depth 0 on its line), so a '!' inside a value is data;
 *  - a frame longer than maxBytes is dropped (counted as oversize) at the byte that would exceed the cap; that
 *    byte and the rest are then treated as outside a frame (the framer resyncs on the next '/').
 *
 * Hot path: a chunk holding whole telegrams (the usual case) is scanned once; ordinary bytes take one compare
 * and a frame that lies entirely inside the chunk is turned into a string straight from the chunk, without an
 * intermediate copy. Only the part of a frame that is still open at the end of a chunk is copied.
 */

import { isAscii } from 'buffer';

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
  /** Bytes (already masked) of the open frame that arrived in earlier chunks. */
  private readonly buf: Buffer;
  private len = 0;
  private state = SEEK;
  private depth = 0;
  private hexCount = 0;
  /** Last byte (masked) of the previous chunk, to tell whether a '/' at offset 0 starts a line. */
  private lastByte = 0;
  /** Progress matching `/XXXd` after a '/' in the middle of a line: 0 none, 1 = '/', 2-4 letters seen. */
  private idm = 0;

  constructor(opts?: P1FramerOptions) {
    const m = opts?.maxBytes;
    this.maxBytes = typeof m === 'number' && Number.isFinite(m) && m >= 8 ? Math.floor(m) : 16384;
    this.buf = Buffer.allocUnsafe(this.maxBytes);
  }

  /** true while a frame has started ('/' seen) and not yet ended. */
  get collecting(): boolean {
    return this.state !== SEEK;
  }

  /** Feed bytes (or a string, one char per byte); returns the frames completed by this chunk, in order. */
  push(chunk: Uint8Array | string): string[] {
    const out: string[] = [];
    let data: Buffer;
    if (typeof chunk === 'string') data = Buffer.from(chunk, 'latin1'); // keeps the low byte of each char
    else if (chunk instanceof Uint8Array) {
      data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    } else return out;
    const n = data.length;
    if (n === 0) return out;
    let from = 0;
    if (this.state === SEEK && isAscii(data)) from = this.fast(data, out);
    if (from < n) this.scan(data, from, out);
    return out;
  }

  /**
   * Fast path for 7-bit chunks while seeking: whole, ordinary telegrams are cut out with native searches
   * ('/', '!') and sliced straight from the chunk. Returns the offset of the first frame it does not
   * handle itself (incomplete at the chunk end, a second '/' inside, '!' inside parentheses, too long), which
   * scan() then processes byte by byte from its '/' with exactly the same rules; n when the chunk is done.
   */
  private fast(data: Buffer, out: string[]): number {
    const n = data.length;
    const counters = this.counters;
    let i = 0;
    let nextSlash = -1; // cached position of the next '/' after the current frame's header (n = none)
    while (i < n) {
      const s = data.indexOf(47, i);
      const gEnd = s < 0 ? n : s;
      for (let k = i; k < gEnd; k++) {
        const b = data[k];
        if (b !== 13 && b !== 10 && b !== 0) counters.garbageBytes++;
      }
      if (s < 0) return n;
      const bang = data.indexOf(33, s + 1);
      if (bang < 0) return s;
      // any other '/' before the '!' (a new header, or a '/' in a value): leave the frame to scan()
      if (nextSlash <= s) {
        nextSlash = data.indexOf(47, s + 1);
        if (nextSlash < 0) nextSlash = n;
      }
      if (nextSlash < bang) return s;
      // the '!' must be outside parentheses on its own line (walk back to that line's start, at most to s)
      let k = bang;
      while (k > s + 1) {
        const b = data[k - 1];
        if (b === 10 || b === 13) break;
        k--;
      }
      let depth = 0;
      for (; k < bang; k++) {
        const b = data[k];
        if (b === 40) depth++;
        else if (b === 41 && depth > 0) depth--;
      }
      if (depth !== 0) return s;
      let e = bang + 1;
      const stop = bang + 5 < n ? bang + 5 : n;
      while (e < stop && isHex(data[e])) e++;
      if (e === n && e < bang + 5) return s; // more CRC digits may follow in the next chunk
      if (e - s > this.maxBytes) return s;
      out.push(data.toString('latin1', s, e));
      counters.frames++;
      i = e;
    }
    return n;
  }

  /** Byte-by-byte state machine over data[from..]; the general path (also for chunks with bit 7 set). */
  private scan(data: Buffer, from: number, out: string[]): void {
    const n = data.length;
    const max = this.maxBytes;
    const counters = this.counters;
    let state = this.state;
    let depth = this.depth;
    let hexCount = this.hexCount;
    let idm = this.idm;
    /** Start in `data` of the open frame's bytes not yet copied to buf (-1 when seeking). */
    let seg = state === SEEK ? -1 : from;
    /** First index in `data` that would make the open frame longer than maxBytes. */
    let limit = state === SEEK ? 0 : from + (max - this.len);
    /** A byte with bit 7 set was seen in data[seg..]. */
    let hi = false;

    for (let i = from; i < n; i++) {
      let b = data[i];
      if (state === COLLECT) {
        if (idm === 0 && b > 47 && b < 128 && i < limit) continue; // ordinary data byte
        if (b > 127) {
          hi = true;
          b &= 0x7f;
        }
        if (idm !== 0) {
          const lc = b | 0x20;
          if (idm < 4 ? lc >= 97 && lc <= 122 : b >= 48 && b <= 57) {
            if (++idm === 5) {
              // `/XXXd` in the middle of a line: a header glued to a telegram that was cut off (§2.10 #1)
              idm = 0;
              counters.aborted++;
              const start = i - 4; // the '/' (its bytes may partly sit at the end of buf)
              if (start >= seg) {
                this.len = 0;
                seg = start;
              } else {
                const keep = seg - start;
                this.buf.copyWithin(0, this.len - keep, this.len);
                this.len = keep;
              }
              limit = seg + (max - this.len);
              depth = 0;
              continue;
            }
          } else idm = 0;
        }
        if (b === 47) {
          const p = i > seg ? data[i - 1] & 0x7f : this.len > 0 ? this.lastByte : 0;
          if (p === 13 || p === 10) {
            // a new header at the start of a line: the open frame was cut off (§2.10 #1)
            counters.aborted++;
            this.len = 0;
            seg = i;
            limit = i + max;
            hi = data[i] > 127;
            depth = 0;
            idm = 0;
            continue;
          }
          idm = 1; // maybe a header glued to a cut-off line; decided by the next 4 bytes
        }
        if (i < limit) {
          if (b === 13 || b === 10) depth = 0;
          else if (b === 40) depth++;
          else if (b === 41) {
            if (depth > 0) depth--;
          } else if (b === 33 && depth === 0) {
            state = CRC;
            hexCount = 0;
          }
          continue;
        }
        // this byte would make the frame too long: drop the frame, look at the byte again while seeking
        counters.oversize++;
        state = SEEK;
        this.len = 0;
        idm = 0;
      } else if (state === CRC) {
        const m = b & 0x7f;
        if (hexCount < 4 && isHex(m)) {
          if (i < limit) {
            if (b > 127) hi = true;
            if (++hexCount === 4) {
              this.emit(data, seg, i + 1, hi, out);
              state = SEEK;
            }
            continue;
          }
          counters.oversize++;
          this.len = 0;
        } else this.emit(data, seg, i, hi, out);
        state = SEEK;
        // this byte (CR, LF, NUL, '/', ...) is looked at in SEEK state below
      }
      // SEEK
      if ((b & 0x7f) === 47) {
        state = COLLECT;
        seg = i;
        limit = i + max;
        hi = data[i] > 127;
        depth = 0;
        idm = 0;
        this.len = 0;
      } else if ((b & 0x7f) !== 13 && (b & 0x7f) !== 10 && (b & 0x7f) !== 0) counters.garbageBytes++;
    }

    if (state !== SEEK) {
      // keep the open part of the frame for the next chunk (fits: every byte was checked against `limit`)
      const buf = this.buf;
      let len = this.len;
      if (hi) for (let k = seg; k < n; k++) buf[len++] = data[k] & 0x7f;
      else {
        data.copy(buf, len, seg, n);
        len += n - seg;
      }
      this.len = len;
      this.lastByte = data[n - 1] & 0x7f;
    }
    this.state = state;
    this.depth = depth;
    this.hexCount = hexCount;
    this.idm = idm;
  }

  /** Drop a partially collected frame (e.g. on reconnect); counters are kept. */
  flush(): void {
    this.state = SEEK;
    this.len = 0;
    this.depth = 0;
    this.hexCount = 0;
    this.lastByte = 0;
    this.idm = 0;
  }

  /** flush() and zero the counters. */
  reset(): void {
    this.flush();
    this.counters.frames = 0;
    this.counters.oversize = 0;
    this.counters.aborted = 0;
    this.counters.garbageBytes = 0;
  }

  /** Completes the open frame: earlier chunks' bytes in buf plus data[seg, end). */
  private emit(data: Buffer, seg: number, end: number, hi: boolean, out: string[]): void {
    const len = this.len;
    const total = len + (end - seg);
    this.len = 0;
    if (total > this.maxBytes) {
      this.counters.oversize++;
      return;
    }
    let s: string;
    if (len === 0 && !hi) s = data.toString('latin1', seg, end);
    else {
      const buf = this.buf;
      let k = len;
      if (hi) for (let q = seg; q < end; q++) buf[k++] = data[q] & 0x7f;
      else {
        data.copy(buf, k, seg, end);
        k += end - seg;
      }
      s = buf.toString('latin1', 0, k);
    }
    out.push(s);
    this.counters.frames++;
  }
}
