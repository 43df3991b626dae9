import type { Validation } from '../reply-check.ts';
import { ClientUsageError } from './usage-error.ts';

// Flags win over INSTANET_* environment variables, which win over the defaults (the course runs
// its server on 127.0.0.1:5001).

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 5001;
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface ConnectionFlags {
  host?: string;
  port?: string;
  user?: string;
  password?: string;
  timeout?: string;
  lenient?: boolean;
}

export interface ConnectionSettings {
  host: string;
  port: number;
  user: string | undefined;
  password: string | undefined;
  timeoutMs: number;
  validation: Validation;
}

export function parsePort(text: string, source: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ClientUsageError(`invalid port ${JSON.stringify(text)} (${source})`, 'give a number from 1 to 65535, e.g. --port 5001');
  }
  return port;
}

export function parsePositiveInt(text: string, what: string, example: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value <= 0) {
    throw new ClientUsageError(`invalid ${what} ${JSON.stringify(text)}`, `give a positive whole number, e.g. ${example}`);
  }
  return value;
}

export function resolveSettings(flags: ConnectionFlags, env: Readonly<Record<string, string | undefined>>): ConnectionSettings {
  const host = flags.host ?? (env.INSTANET_HOST || undefined) ?? DEFAULT_HOST;
  const port =
    flags.port !== undefined
      ? parsePort(flags.port, '--port')
      : env.INSTANET_PORT
        ? parsePort(env.INSTANET_PORT, 'INSTANET_PORT')
        : DEFAULT_PORT;
  const timeoutMs = flags.timeout !== undefined ? parsePositiveInt(flags.timeout, 'timeout', '--timeout 10000') : DEFAULT_TIMEOUT_MS;
  return {
    host,
    port,
    user: flags.user ?? (env.INSTANET_USER || undefined),
    password: flags.password ?? env.INSTANET_PASSWORD,
    timeoutMs,
    validation: flags.lenient ? 'lenient' : 'strict',
  };
}

/** The user and password the scripted commands need before connecting. */
export function requireCredentials(settings: ConnectionSettings): { user: string; password: string } {
  if (!settings.user) throw new ClientUsageError('missing --user: which user to log in as', 'add --user user1 (or set INSTANET_USER)');
  if (settings.password === undefined) {
    throw new ClientUsageError('missing --password', 'add --password 123 (or set INSTANET_PASSWORD)');
  }
  return { user: settings.user, password: settings.password };
}
