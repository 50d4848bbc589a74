/**
 * User and password for a device: from --user/--password, from the URL (`http://user:pass@host`,
 * taken out of the URL before it is used or printed), from HOME_ENERGY_USER/HOME_ENERGY_PASSWORD,
 * or asked for on the terminal. Every password found is registered with the Io, so it is never printed.
 */
import { str, UsageError, type Args } from './args';
import { ENV_PASSWORD, ENV_USER, type Io } from './io';

export interface Credentials {
  /** The address without user information. */
  url: string;
  user?: string;
  password?: string;
}

/** Splits `scheme://user:pass@rest` (or `user:pass@host`) into the address and the credentials. */
export function splitUserInfo(url: string): Credentials {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)?([^/@\s]*)@(.*)$/i.exec(url.trim());
  if (!m) return { url };
  const [, scheme = '', info, rest] = m;
  const i = info.indexOf(':');
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return { url: scheme + rest, user: dec(i < 0 ? info : info.slice(0, i)) || undefined, password: i < 0 ? undefined : dec(info.slice(i + 1)) || undefined };
}

export interface CredentialOptions {
  /** The command, for messages ("sessy setpoint"). */
  what: string;
  /** The option holding the address (e.g. "url", "sessy"). */
  urlOption: string;
  /** User and password are required (commands), else optional (reads of an open dongle). */
  required: boolean;
}

export async function credentials(a: Args, io: Io, o: CredentialOptions): Promise<Credentials> {
  const raw = str(a, o.urlOption);
  if (raw === undefined) return { url: '' };
  const fromUrl = splitUserInfo(raw);
  io.secret(fromUrl.password);
  const optPassword = str(a, 'password');
  io.secret(optPassword);
  if (optPassword !== undefined) io.err(`note: a password given with --password is visible to other users (ps) and stays in the shell history; set ${ENV_PASSWORD} instead`);
  const user = str(a, 'user') ?? fromUrl.user ?? (io.env[ENV_USER] || undefined);
  let password = optPassword ?? fromUrl.password ?? (io.env[ENV_PASSWORD] || undefined);
  if (o.required && !user) throw new UsageError(`${o.what} needs the user (the serial on the dongle sticker): --user U or ${ENV_USER}`);
  if (!password && user && (o.required || str(a, 'user') !== undefined)) {
    password = (await io.prompt(`Password for ${user} at ${fromUrl.url}: `)) || undefined;
    io.secret(password);
  }
  if (o.required && !password) throw new UsageError(`${o.what} needs the password (on the dongle sticker): set ${ENV_PASSWORD}, or run it in a terminal to be asked`);
  return { url: fromUrl.url, user, password };
}
