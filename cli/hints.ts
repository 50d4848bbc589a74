/**
 * Error texts for the command line. Drivers give their errors a `code` (and an `errno` for socket
 * failures, a `fingerprint256` for TLS); their messages are written for the editor ("Pin it in the
 * link settings"), so where a code is known the CLI words its own hint naming its options, and
 * falls back to the message otherwise.
 */

interface CodedError {
  message?: string;
  code?: unknown;
  errno?: unknown;
  fingerprint256?: unknown;
  status?: unknown;
}

/** Where the command was talking to, for the hint ("192.168.1.30:502"). */
export interface ErrorContext {
  where?: string;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** Socket error codes → what to check. */
function errnoHint(errno: string, where: string): string | undefined {
  switch (errno) {
    case 'ECONNREFUSED':
      return `${where} refused the connection: check the address and the port, and that the device's service is on`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `unknown host ${where.replace(/:\d+$/, '')}: check the spelling, or use the device's IP address (see your router)`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} cannot be reached: check that the device is on and on this network`;
    case 'ETIMEDOUT':
      return `${where} does not answer: check the address, and that the device is on and on this network`;
    case 'ECONNRESET':
      return `${where} closed the connection: check the port; the device may allow only one client at a time`;
    case 'ENOENT':
      return `serial port ${where} not found: check the path (ls /dev/serial/by-id/)`;
    case 'EACCES':
      return `no permission to open ${where}: add yourself to the dialout group (or the port's group)`;
    default:
      return undefined;
  }
}

/** The text the CLI prints for a failure. Never throws. */
export function describeError(e: unknown, ctx: ErrorContext = {}): string {
  try {
    if (typeof e !== 'object' || e === null) return String(e);
    const err = e as CodedError;
    const message = text(err.message) ?? String(e);
    const code = text(err.code);
    const fp = text(err.fingerprint256);
    const where = ctx.where ?? 'the device';
    switch (code) {
      case 'tls-untrusted':
        return `${where}: its TLS certificate is not trusted${fp ? ` (SHA-256 ${fp})` : ''}: pin it with --fingerprint ${fp ?? 'F'} or --ca FILE (the device's certificate), or use --insecure if you trust this network`;
      case 'tls-fingerprint':
        return `${where}: its TLS certificate${fp ? ` (SHA-256 ${fp})` : ''} does not match --fingerprint: check the value, or pin the certificate it presents if it was renewed`;
      case 'not-modbus':
        return `${where} is not a Modbus TCP device (it answered with something else): check the port (a KSEM serves Modbus TCP on 502, TLS on 802 with --tls)`;
      case 'connect':
        return `${message}: check the address, and that the device is on and on this network`;
      case 'auth':
        return `${message}: the device refused the user or password; check --user / HOME_ENERGY_USER and HOME_ENERGY_PASSWORD (the serial and password on the dongle sticker)`;
    }
    const errno = text(err.errno) ?? (typeof code === 'string' && /^E[A-Z_]+$/.test(code) ? code : undefined);
    const hint = errno ? errnoHint(errno, where) : undefined;
    return hint ? `${hint} (${message})` : message;
  } catch {
    return 'unknown error';
  }
}
