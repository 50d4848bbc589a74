/**
 * Shared plumbing of the simulators' HTTP servers (Sessy P1 dongle in p1-server.ts, Sessy battery
 * in sessy-server.ts): a loopback http.Server whose stop() does not wait for idle keep-alive or
 * deliberately hung requests, HTTP Basic credentials, and plain JSON / text replies.
 */
import * as http from 'node:http';
import type * as net from 'node:net';
import { closeServer, listen, trackConnections } from '../transport/net-server';

export class SimHttpServer {
  private server?: http.Server;
  private sockets = new Set<net.Socket>();

  /** `onError`: errors of the listening server after start (not per request). */
  constructor(
    private readonly handler: http.RequestListener,
    private readonly onError?: (e: Error) => void,
  ) {}

  /** Listens once (later calls return the same port); 0 = any free port. */
  async start(port: number, host: string): Promise<number> {
    if (!this.server) {
      const server = http.createServer(this.handler);
      this.sockets = trackConnections(server);
      await listen(server, port, host, this.onError);
      this.server = server;
    }
    return this.port!;
  }

  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  /** Closes the server and every open connection (hung requests included). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server, this.sockets);
  }
}

/**
 * Credentials of an `Authorization: Basic …` header; null without one. `password` is null when the
 * decoded text has no ':' (sent, but never valid).
 */
export function basicCredentials(header: string | undefined): { username: string; password: string | null } | null {
  if (!header || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? { username: decoded, password: null } : { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

export function sendJson(res: http.ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A text/plain reply (extra headers, e.g. a 401's www-authenticate, as given). */
export function sendText(res: http.ServerResponse, code: number, text: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(code, { 'content-type': 'text/plain', ...headers });
  res.end(text);
}
