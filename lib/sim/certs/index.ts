/**
 * The simulator's self-signed TLS certificate (README.md beside this file: for simulation and
 * tests only — its private key is public).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SimCertificate {
  key: string;
  cert: string;
  /** SHA-256 fingerprint "AB:CD:…", as a client would pin it. */
  fingerprint256: string;
}

let cached: SimCertificate | undefined;

/** Reads ksem-sim.{key,crt}: beside the compiled file when the build copied them, else from lib/. */
export function simCertificate(): SimCertificate {
  if (cached) return cached;
  const dirs = [__dirname, path.resolve(__dirname, '..', '..', '..', '..', 'lib', 'sim', 'certs')];
  const dir = dirs.find((d) => fs.existsSync(path.join(d, 'ksem-sim.crt')));
  if (!dir) throw new Error(`simulator certificate ksem-sim.crt not found (looked in ${dirs.join(', ')})`);
  const cert = fs.readFileSync(path.join(dir, 'ksem-sim.crt'), 'utf8');
  const key = fs.readFileSync(path.join(dir, 'ksem-sim.key'), 'utf8');
  cached = { key, cert, fingerprint256: new crypto.X509Certificate(cert).fingerprint256 };
  return cached;
}
