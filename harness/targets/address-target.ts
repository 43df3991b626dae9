import { EnvironmentError } from '../errors.ts';
import { canConnect } from '../process/can-connect.ts';
import { readServerState } from './read-server-state.ts';
import { DEFAULT_USERS } from './spawned-target.ts';
import { stateProblems, usedServerError } from './used-server.ts';
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

export interface AddressTargetOptions {
  /** The scenario users and their password, checked for leftover data before any case (default user1..user6, "123"). */
  users?: readonly string[];
  password?: string;
}

/**
 * A server someone else runs. Its state is not reset between groups and its files are not visible,
 * so file checks are SKIPPED; a server that already holds data for the scenario users is refused
 * before any case runs (UsedServerError), because the cases assume the assignment's fresh data.
 */
export function addressTarget(address: string | { host: string; port: number }, options: AddressTargetOptions = {}): Target {
  const { host, port } = typeof address === 'string' ? parseAddress(address) : address;
  const users = options.users ?? Object.keys(DEFAULT_USERS);
  const password = options.password ?? '123';
  return {
    description: `${host}:${port}`,
    notice: `--target writes test data into the server at ${host}:${port} (friend requests, messages and posts of ${users[0]}..${users[users.length - 1]}); run it on a fresh data folder you can throw away`,
    // Without this, nothing listening turns every case into a FAILED verdict against the student.
    async preflight(): Promise<void> {
      if (!(await canConnect(port, PREFLIGHT_TIMEOUT_MS, host))) {
        throw new EnvironmentError(`nothing accepts connections at ${host}:${port}; start the server first, or let the kit start it with --server "python3 server.py --port {port}"`);
      }
      const problems = stateProblems(await readServerState({ host, port, users, password }), password);
      if (problems.length) throw usedServerError(`${host}:${port}`, problems, users, password);
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
