import type { FeedPost, MessageEntry } from '../../../spec/messages/index.ts';
import type { InstaNetClient } from '../instanet-client.ts';
import type { Clock } from '../timestamps.ts';

// One definition per command, shared by the scripted CLI (commander) and the interactive shell,
// so both accept the same arguments and print the same output.

/** What an argument holds; drives validation before connecting and the shell's tab completion. */
export type ArgKind = 'user' | 'file' | 'dir' | 'text' | 'post';

export interface ArgSpec {
  name: string;
  kind: ArgKind;
  description: string;
  /** Takes the rest of the line (texts), joined with spaces. */
  rest?: boolean;
}

export interface OptionSpec {
  /** Long name without dashes, e.g. 'caption'. */
  name: string;
  kind: ArgKind;
  description: string;
}

export interface CommandContext {
  client: InstaNetClient;
  /** The logged-in user, as the server knows it (lower-cased). */
  user: string;
  cwd: string;
  clock: Clock;
}

export type CommandResult =
  | { command: 'users'; you: string; users: string[]; friends: string[]; requests: string[] }
  | { command: 'requests'; requests: string[] }
  | { command: 'friends'; friends: string[] }
  | { command: 'friend-request'; to: string; message: string }
  | { command: 'accept' | 'reject'; from: string; message: string }
  | { command: 'dm'; to: string; text: string; timestamp: string; message: string }
  | { command: 'dm-image'; to: string; file: string; bytes: number; timestamp: string; message: string }
  | { command: 'messages'; you: string; with: string; messages: MessageEntry[] }
  | { command: 'post'; file: string; bytes: number; caption: string; timestamp: string; message: string }
  | { command: 'feed'; posts: FeedItem[]; savedTo?: string }
  | { command: 'comment'; post: string; text: string };

/** A feed post as the CLI reports it: the image summarised (size, digest) instead of inlined as base64. */
export interface FeedItem {
  number: number;
  username: string;
  caption: string;
  timestamp: string;
  image_path: string;
  image_bytes: number | null;
  image_sha256: string | null;
  comments: { user: string; text: string }[];
  saved_as?: string;
}

export interface CommandSpec {
  name: CommandResult['command'];
  summary: string;
  args: readonly ArgSpec[];
  options?: readonly OptionSpec[];
  /** Extra help text (examples). */
  example?: string;
  run(ctx: CommandContext, args: readonly string[], options: Readonly<Record<string, string | undefined>>): Promise<CommandResult>;
}

export type { FeedPost, MessageEntry };
