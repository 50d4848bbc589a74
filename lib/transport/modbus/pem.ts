/**
 * PEM texts as users paste them into an edit dialog or a config file: line breaks restored, and a
 * message that says what is wrong with a client key or certificate that does not parse (issue 11
 * defect 8: a key pasted into a one-line field lost its line breaks and TLS failed without a hint).
 */
import * as crypto from 'node:crypto';
import * as tls from 'node:tls';

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * Rebuilds every PEM block of a text with the standard line breaks: the BEGIN line, the base64
 * body in lines of 64, the END line. A block whose line breaks were lost (turned into spaces, or
 * removed) parses again; an intact one comes back unchanged in content. Text outside blocks, and
 * headers such as "Proc-Type:", are kept only when the body has them on their own lines.
 */
export function normalizePem(text: string): string {
  const src = String(text ?? '');
  const out: string[] = [];
  for (const m of src.matchAll(BLOCK)) {
    const label = m[1];
    const body = m[2];
    // Encapsulated headers (legacy encrypted keys: "Proc-Type: 4,ENCRYPTED") keep their lines.
    const lines = body.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    const headers = lines.filter((l) => /^[A-Za-z-]+:/.test(l));
    const b64 = lines
      .filter((l) => !/^[A-Za-z-]+:/.test(l))
      .join('')
      .replace(/\s+/g, '');
    const wrapped = b64.match(/.{1,64}/g) ?? [];
    out.push([`-----BEGIN ${label}-----`, ...headers, ...(headers.length ? [''] : []), ...wrapped, `-----END ${label}-----`].join('\n'));
  }
  return out.length ? out.join('\n') + '\n' : src;
}

/** Why a client key cannot be used, or undefined. The text names the field ("client key: …"). */
export function clientKeyProblem(key: string): string | undefined {
  const text = String(key ?? '');
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
    if (/-----BEGIN CERTIFICATE-----/.test(text)) return 'client key: this is a certificate, not a private key (paste the key, -----BEGIN PRIVATE KEY-----)';
    return 'client key: not a PEM private key (no BEGIN … PRIVATE KEY line)';
  }
  if (!/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) return 'client key: the END … PRIVATE KEY line is missing (only part of the key was pasted)';
  if (/ENCRYPTED PRIVATE KEY|Proc-Type:\s*4,ENCRYPTED/.test(text)) return 'client key: the key is encrypted with a passphrase; use an unencrypted key (openssl pkey -in key.pem -out plain.pem)';
  try {
    crypto.createPrivateKey(normalizePem(text));
    return undefined;
  } catch (e) {
    return `client key: does not parse as a private key (${(e as Error).message}); paste the whole key including its BEGIN and END lines`;
  }
}

/** Why a client certificate cannot be used, or undefined. */
export function clientCertProblem(cert: string): string | undefined {
  const text = String(cert ?? '');
  if (!/-----BEGIN CERTIFICATE-----/.test(text)) return 'client certificate: not a PEM certificate (no BEGIN CERTIFICATE line)';
  try {
    new crypto.X509Certificate(normalizePem(text));
    return undefined;
  } catch (e) {
    return `client certificate: does not parse (${(e as Error).message})`;
  }
}

/** Why a client certificate and key cannot be used together (each must parse, and they must be a pair), or undefined. */
export function clientPairProblem(cert: string | undefined, key: string | undefined): string | undefined {
  const hasCert = !!cert && cert.trim() !== '';
  const hasKey = !!key && key.trim() !== '';
  if (!hasCert && !hasKey) return undefined;
  if (!hasKey) return 'client certificate given without its client key';
  if (!hasCert) return 'client key given without its client certificate';
  const problem = clientCertProblem(cert) ?? clientKeyProblem(key);
  if (problem) return problem;
  try {
    tls.createSecureContext({ cert: normalizePem(cert), key: normalizePem(key) });
    return undefined;
  } catch (e) {
    return `client certificate and key do not belong together (${(e as Error).message})`;
  }
}
