import type { InstaNetClient } from '../instanet-client.ts';
import { ErrorReplyError } from '../errors.ts';
import { describeFailure } from '../cli/describe-failure.ts';
import type { ConnectionKeeper } from './connection-keeper.ts';
import { conversationNotices, userDataNotices, type UserSnapshot } from './notices.ts';

// The course protocol has no push: like the course GUI, the shell asks every few seconds for the
// user's friend requests (get_user_data) and for each conversation it knows of (get_messages), and
// prints what is new.

export class ShellState {
  /** Usernames for tab completion. */
  readonly knownUsers = new Set<string>();
  user: UserSnapshot | undefined;
  /** Conversations watched for new messages: other user -> messages seen (undefined: not read yet). */
  readonly conversations = new Map<string, number | undefined>();

  watch(other: string, seen?: number): void {
    if (seen !== undefined || !this.conversations.has(other)) this.conversations.set(other, seen);
    this.knownUsers.add(other);
  }
}

export interface PollerOptions {
  keeper: ConnectionKeeper;
  state: ShellState;
  me: string;
  intervalMs: number;
  notify(text: string): void;
}

export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private lastError = '';

  constructor(private readonly options: PollerOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Polls now (the shell's `poll` command), or waits for the poll already running. */
  pollNow(): Promise<void> {
    this.running ??= this.pollOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pollNow().finally(() => this.schedule());
    }, this.options.intervalMs);
  }

  private async pollOnce(): Promise<void> {
    const { keeper, notify } = this.options;
    // While the keeper is reconnecting its own timer retries; polling would only add attempts.
    if (!keeper.connected) return;
    try {
      await keeper.use((client) => this.check(client));
      this.lastError = '';
    } catch (error) {
      if (error instanceof ErrorReplyError) {
        const line = `poll: ${describeFailure(error, keeper.where).message}`;
        if (line !== this.lastError) notify(line);
        this.lastError = line;
      }
      // Connection failures were reported by the keeper.
    }
  }

  private async check(client: InstaNetClient): Promise<void> {
    const { state, me, notify } = this.options;
    const { user_data } = await client.getUserData(me);
    const next = { friends: [...user_data.friends], requests: [...user_data.requests] };
    if (state.user) userDataNotices(state.user, next).forEach(notify);
    state.user = next;
    for (const name of [...next.friends, ...next.requests]) state.knownUsers.add(name);
    for (const friend of next.friends) state.watch(friend);
    for (const [other, seen] of [...state.conversations]) {
      const { messages } = await client.getMessages(me, other);
      // A command (`messages`, `dm`) may have moved the mark while this poll waited its turn.
      if (state.conversations.get(other) !== seen) continue;
      if (seen === undefined) {
        state.conversations.set(other, messages.length);
        continue;
      }
      const found = conversationNotices(other, seen, messages);
      found.notices.forEach(notify);
      state.conversations.set(other, found.seen);
    }
  }
}
