/**
 * Small helpers for the servers in this package (the simulators' TCP and HTTP servers, the Modbus
 * server core): listen as a Promise, and close without waiting for idle or hung clients.
 */
import type * as net from 'node:net';

/**
 * `server.listen(port, host)` as a Promise of the bound port (0 = any free port). A listen error
 * (EADDRINUSE, EACCES …) rejects; errors after that go to `onError` when given (and are otherwise
 * left to the caller's own 'error' listener).
 */
export function listen(server: net.Server, port: number, host: string, onError?: (e: Error) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      if (onError) server.on('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** Keeps a set of the server's open connections (added on 'connection', removed on 'close'). */
export function trackConnections(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

/** Destroys the given connections and closes the server; resolves once it is closed. */
export async function closeServer(server: net.Server | undefined, sockets: Set<net.Socket>): Promise<void> {
  const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
  for (const s of sockets) s.destroy();
  sockets.clear();
  await closed;
}
