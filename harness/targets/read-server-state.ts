import { InstaNetClient, ErrorReplyError } from '../../reference/client/index.ts';

// What a server someone else runs already holds for the scenario users, read through the protocol
// itself (the harness cannot see that server's files). Only what the scenarios depend on: whether
// each user logs in with the shared password, their friends and pending requests, and whether any
// two of them already have a conversation.

export interface UserState {
  user: string;
  /** The server's own words when login was refused (the user or the password is not there). */
  loginRefused?: string;
  friends: string[];
  requests: string[];
}

export interface ServerState {
  users: UserState[];
  /** Conversations between two scenario users that are not empty, with their length. */
  conversations: { a: string; b: string; messages: number }[];
  /** Reads that did not work (the server's own defect, judged by the cases, not here). */
  unreadable: string[];
}

export interface ReadStateOptions {
  host: string;
  port: number;
  users: readonly string[];
  password: string;
  /** Per request; the whole read is users x (users + 2) requests at most. */
  timeoutMs?: number;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function readServerState(options: ReadStateOptions): Promise<ServerState> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const state: ServerState = { users: [], conversations: [], unreadable: [] };
  for (const [i, user] of options.users.entries()) {
    const entry: UserState = { user, friends: [], requests: [] };
    state.users.push(entry);
    let client: InstaNetClient | undefined;
    try {
      // Lenient: a student server's reply with an extra key is not this check's business.
      client = await InstaNetClient.connect({ host: options.host, port: options.port, timeoutMs, validation: 'lenient' });
      // Logged in as the user itself, so a strict server (act only as yourself) answers too.
      try {
        await client.login(user, options.password);
      } catch (error) {
        if (error instanceof ErrorReplyError) {
          entry.loginRefused = error.serverMessage;
          continue;
        }
        throw error;
      }
      const data = await client.getUserData(user);
      entry.friends = [...data.user_data.friends];
      entry.requests = [...data.user_data.requests];
      for (const other of options.users.slice(i + 1)) {
        const reply = await client.getMessages(user, other);
        if (reply.messages.length > 0) state.conversations.push({ a: user, b: other, messages: reply.messages.length });
      }
    } catch (error) {
      state.unreadable.push(`${user}: ${describe(error)}`);
    } finally {
      await client?.close().catch(() => undefined);
    }
    // A server that cannot answer these plain requests has a defect the cases will show; waiting
    // out a timeout for every user would only delay them.
    if (state.unreadable.length) break;
  }
  return state;
}
