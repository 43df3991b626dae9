import { EnvironmentError } from '../errors.ts';
import type { ServerState } from './read-server-state.ts';

// The scenarios assume the assignment's fresh data: user1..user6 with one password, no friends, no
// pending requests, no messages. Against a server that has been used, a dozen MUST cases would fail
// for what the server remembers, not for what it does: that is stopped before any case runs.

/** The server under test holds data the suite needs to be absent; exit 3 (environment). */
export class UsedServerError extends EnvironmentError {}

const SHOWN = 3;

/** One phrase per finding, the most telling first: a user that cannot log in breaks every case. */
export function stateProblems(state: ServerState, password: string): string[] {
  const out: string[] = [];
  for (const u of state.users) {
    if (u.loginRefused !== undefined) out.push(`${u.user} cannot log in with password "${password}" (${u.loginRefused})`);
  }
  const friendships = new Set<string>();
  for (const u of state.users) {
    for (const f of u.friends) {
      const pair = [u.user, f].sort();
      const key = pair.join(' and ');
      if (friendships.has(key)) continue;
      friendships.add(key);
      out.push(`${key} are already friends`);
    }
  }
  for (const u of state.users) {
    if (u.requests.length) out.push(`${u.user} has pending friend request${u.requests.length > 1 ? 's' : ''} from ${u.requests.join(', ')}`);
  }
  for (const c of state.conversations) out.push(`${c.a} and ${c.b} already have a conversation (${c.messages} message${c.messages > 1 ? 's' : ''})`);
  return out;
}

export function usedServerError(where: string, problems: readonly string[], users: readonly string[], password: string): UsedServerError {
  const shown = problems.slice(0, SHOWN).join('; ');
  const more = problems.length > SHOWN ? ` (and ${problems.length - SHOWN} more)` : '';
  return new UsedServerError(
    `the server at ${where} already has data: ${shown}${more}. The suite needs ${users[0]}..${users[users.length - 1]} (password "${password}") `
      + `with no friends, requests or messages: restart the server on a fresh data folder, or let the kit start it with --server "python3 server.py --port {port}"`,
  );
}
