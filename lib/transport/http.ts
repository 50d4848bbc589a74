/**
 * Small JSON-over-HTTP client on node:http (no dependency): timeouts, Basic auth, retries with
 * backoff for reads, and clear errors. Shared by every HTTP device (Sessy battery, Sessy P1 dongle).
 */
import * as http from 'node:http';

export interface HttpJsonOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  user?: string;
  password?: string;
  timeoutMs?: number;
  /** Extra attempts after the first for GET requests (never for POST). Default 0. */
  retries?: number;
  retryDelayMs?: number;
}

const SHORT = { timeout: 'no reply', connect: 'no connection', status: 'HTTP error', auth: 'wrong user or password', json: 'bad reply', envelope: 'device reports an error' } as const;

export class HttpError extends Error {
  /** Status text for nodes (nodes/_shared/device-node.ts shortError), never parsed from the message. */
  readonly short: string;
  constructor(
    message: string,
    readonly code: 'timeout' | 'connect' | 'status' | 'auth' | 'json' | 'envelope',
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HttpError';
    this.short = code === 'status' && status ? `HTTP ${status}` : SHORT[code];
  }
}

function once(url: URL, opts: HttpJsonOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    if (opts.user || opts.password) {
      headers.Authorization = 'Basic ' + Buffer.from(`${opts.user ?? ''}:${opts.password ?? ''}`).toString('base64');
    }
    const timeoutMs = opts.timeoutMs ?? 5000;
    let settled = false;
    const fail = (e: HttpError) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(e);
      }
    };
    const req = http.request(url, { method: opts.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 1 << 20) fail(new HttpError(`${url.pathname}: reply larger than 1 MiB`, 'json'));
        else chunks.push(c);
      });
      res.on('error', (e) => fail(new HttpError(`${url.pathname}: ${e.message}`, 'connect')));
      res.on('end', () => {
        if (settled) return;
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status === 401 || status === 403) return fail(new HttpError(`${url.host}: authentication failed (HTTP ${status}); check user and password`, 'auth', status));
        if (status < 200 || status >= 300) return fail(new HttpError(`${url.pathname}: HTTP ${status}`, 'status', status));
        try {
          const value = text.length ? JSON.parse(text) : null;
          settled = true;
          clearTimeout(timer);
          resolve(value);
        } catch {
          fail(new HttpError(`${url.pathname}: reply is not valid JSON (${JSON.stringify(text.slice(0, 40))}…)`, 'json', status));
        }
      });
    });
    const timer = setTimeout(() => fail(new HttpError(`${url.host}${url.pathname}: no reply within ${timeoutMs} ms`, 'timeout')), timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => fail(new HttpError(`${url.host}: ${e.code ?? e.message}`, 'connect')));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Request JSON. Retries GETs on timeouts, connection errors and 5xx; never retries auth or JSON errors. */
export async function httpJson(urlText: string, opts: HttpJsonOptions = {}): Promise<unknown> {
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new HttpError(`invalid URL: ${urlText}`, 'connect');
  }
  if (url.protocol !== 'http:') throw new HttpError(`only http:// is supported (got ${url.protocol})`, 'connect');
  const attempts = 1 + ((opts.method ?? 'GET') === 'GET' ? (opts.retries ?? 0) : 0);
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await once(url, opts);
    } catch (e) {
      last = e;
      const he = e as HttpError;
      const retryable = he.code === 'timeout' || he.code === 'connect' || (he.code === 'status' && (he.status ?? 0) >= 500);
      if (!retryable || i === attempts - 1) break;
      await new Promise((r) => setTimeout(r, (opts.retryDelayMs ?? 250) * 2 ** i));
    }
  }
  throw last;
}

/** Normalize "192.168.1.5", "sessy-abcd.local:8080" or "http://…" into a base URL without trailing slash. */
export function baseUrl(hostOrUrl: string): string {
  const t = hostOrUrl.trim();
  const withScheme = /^[a-z]+:\/\//i.test(t) ? t : `http://${t}`;
  return withScheme.replace(/\/+$/, '');
}
