/**
 * A pair of linked serial ptys made by socat (`socat pty,link=<dir>/<a> pty,link=<dir>/<b>`): the
 * simulated device uses one end, consumers open the other with a serial port library. Used by the
 * serial P1 meter (p1-server.ts) and the Sofar inverter (sofar-sim.ts).
 *
 * Event: 'exit' (Error) when socat ends on its own after start() succeeded (not after stop()).
 * Process timing (ready wait, kill grace) uses the system clock: it is real process time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { systemClock, type Timer } from '../util/clock';

export interface SocatPairOptions {
  /** Directory for the two links; default a fresh temp dir `<tmp>/<tmpPrefix>XXXXXX` (removed again by stop()). */
  dir?: string;
  tmpPrefix?: string;
  /** Link names inside the directory. */
  a: string;
  b: string;
  /** socat executable, default 'socat' from PATH. */
  socat?: string;
  /** How long to wait for socat to create both links, ms (default 5000). */
  readyTimeoutMs?: number;
  /** Who needs socat, for the "not found" message, e.g. 'the serial P1 simulator'. */
  neededBy?: string;
  /** Appended to the "not found" message, e.g. 'or run without --pty'. */
  hint?: string;
}

export class SocatPair extends EventEmitter {
  private proc?: ChildProcess;
  private ownDir = false;
  private stderr = '';
  /** The directory and the two link paths (set by start()). */
  dir = '';
  a = '';
  b = '';

  constructor(private readonly o: SocatPairOptions) {
    super();
  }

  async start(): Promise<{ a: string; b: string }> {
    if (this.proc) return { a: this.a, b: this.b };
    if (this.o.dir) {
      fs.mkdirSync(this.o.dir, { recursive: true });
      this.dir = this.o.dir;
    } else {
      this.dir = fs.mkdtempSync(path.join(os.tmpdir(), this.o.tmpPrefix ?? 'home-energy-pty-'));
      this.ownDir = true;
    }
    this.a = path.join(this.dir, this.o.a);
    this.b = path.join(this.dir, this.o.b);
    for (const p of [this.a, this.b]) if (fs.existsSync(p) || isLink(p)) fs.unlinkSync(p);

    const exe = this.o.socat ?? 'socat';
    const proc = spawn(exe, ['-d', '-d', `pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    this.stderr = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-10000);
    });
    const ms = this.o.readyTimeoutMs ?? 5000;
    try {
      await new Promise<void>((resolve, reject) => {
        let done = false;
        const finish = (err?: Error) => {
          if (done) return;
          done = true;
          poll.cancel();
          timer.cancel();
          if (err) reject(err);
          else resolve();
        };
        // socat logs the loop start right after creating the links; check both, in either order.
        const poll: Timer = systemClock.setInterval(() => {
          if (this.stderr.includes('starting data transfer loop') && isLink(this.a) && isLink(this.b)) finish();
        }, 20);
        const timer: Timer = systemClock.setTimeout(() => finish(new Error(`socat did not create ${this.a} and ${this.b} within ${ms} ms`)), ms);
        proc.once('error', (e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') return finish(e);
          const who = this.o.neededBy ? `: ${this.o.neededBy} needs it` : '';
          finish(new Error(`socat not found (${exe})${who}; install it (Debian/Ubuntu: apt-get install socat)${this.o.hint ? ` ${this.o.hint}` : ''}`));
        });
        proc.once('exit', (code, sig) => finish(new Error(`socat exited (${code ?? sig}) before it was ready: ${this.stderrTail(3)}`)));
      });
    } catch (e) {
      await this.stop();
      throw e;
    }
    proc.on('exit', () => {
      if (this.proc === proc) this.emit('exit', new Error(`socat exited unexpectedly: ${this.stderrTail(2)}`));
    });
    return { a: this.a, b: this.b };
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  private stderrTail(lines: number): string {
    return this.stderr.trim().split('\n').slice(-lines).join(' | ');
  }

  /** Ends socat (SIGTERM, SIGKILL after 2 s) and removes the links and an own temp dir. Safe to call twice. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (proc && proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((resolve) => {
        const t = systemClock.setTimeout(() => proc.kill('SIGKILL'), 2000);
        proc.once('exit', () => {
          t.cancel();
          resolve();
        });
        proc.kill('SIGTERM');
      });
    }
    for (const p of [this.a, this.b]) if (p && isLink(p)) fs.rmSync(p, { force: true });
    if (this.ownDir && this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.ownDir = false;
  }
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
