import { EnvironmentError } from '../errors.ts';
import { canConnect } from './can-connect.ts';
import { TargetConfigError, type Target, type TargetInstance } from './target.ts';

const PREFLIGHT_TIMEOUT_MS = 3000;

/** Parses "host:port", "[v6]:port" or ":port"/"port" (localhost). */
export function parseAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):?(\d+)$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TargetConfigError(`expected host:port (e.g. 127.0.0.1:5001), got "${text}"`);
  }
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/**
 * A server someone else runs. Its state is not reset between groups and its files are not visible,
 * so file checks are SKIPPED and cases should not assume an empty server.
 */
export function addressTarget(address: string | { host: string; port: number }): Target {
  const { host, port } = typeof address === 'string' ? parseAddress(address) : address;
  return {
    description: `${host}:${port}`,
    // Without this, nothing listening turns every case into a FAILED verdict against the student.
    async preflight(): Promise<void> {
      if (await canConnect(port, PREFLIGHT_TIMEOUT_MS, host)) return;
      throw new EnvironmentError(`nothing accepts connections at ${host}:${port}; start the server first, or let the kit start it with --server "python3 server.py --port {port}"`);
    },
    async start(): Promise<TargetInstance> {
      return {
        host,
        port,
        output: () => ({ stdout: '', stderr: '' }),
        stop: async () => ({ status: 'ok' }),
      };
    },
  };
}
