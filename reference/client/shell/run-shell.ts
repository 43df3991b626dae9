import readline from 'node:readline';
import { ErrorReplyError } from '../errors.ts';
import type { InstaNetClient } from '../instanet-client.ts';
import { systemClock, type Clock } from '../timestamps.ts';
import type { CommandResult } from '../cli/command-spec.ts';
import { findCommand, precheck } from '../cli/commands.ts';
import { DEFAULT_HOST, DEFAULT_PORT, parsePort, parsePositiveInt, resolveSettings, type ConnectionFlags, type ConnectionSettings } from '../cli/connection-settings.ts';
import { describeFailure, failureLine } from '../cli/describe-failure.ts';
import { EXIT, type ExitCode } from '../cli/exit-codes.ts';
import { formatHuman } from '../cli/format-human.ts';
import type { CliIo } from '../cli/io.ts';
import { ClientUsageError } from '../cli/usage-error.ts';
import { helpText, suggest } from './builtins.ts';
import { createCompleter } from './completer.ts';
import { ConnectionKeeper } from './connection-keeper.ts';
import { appendHistory, DEFAULT_HISTORY_FILE, loadHistory } from './history-file.ts';
import { LineReader } from './line-reader.ts';
import { parseCommandLine } from './parse-line.ts';
import { Poller, ShellState } from './poller.ts';

// `instanet client shell`: log in once, then read commands until quit or end of input, with
// background polling for news and automatic reconnection.

export interface ShellFlags extends ConnectionFlags {
  pollInterval?: string;
  /** commander's --no-poll sets this to false. */
  poll?: boolean;
  historyFile?: string;
}

export interface ShellRun {
  flags: ShellFlags;
  io: CliIo;
  clock?: Clock;
  /** Reconnection backoff (tests shorten it). */
  reconnectBaseDelayMs?: number;
}

const DEFAULT_POLL_MS = 5000;
const MAX_LOGIN_TRIES = 3;

/** Asks for whatever the flags and environment left open. */
async function askSettings(reader: LineReader, flags: ShellFlags, io: CliIo, base: ConnectionSettings): Promise<ConnectionSettings | undefined> {
  const settings = { ...base };
  // Someone who named either part of the address meant the default for the other.
  const addressGiven = flags.host !== undefined || flags.port !== undefined || Boolean(io.env.INSTANET_HOST) || Boolean(io.env.INSTANET_PORT);
  if (addressGiven) return settings;
  {
    const host = await reader.read(`host [${DEFAULT_HOST}]: `);
    if (host === undefined) return undefined;
    settings.host = host.trim() || DEFAULT_HOST;
  }
  {
    for (;;) {
      const port = await reader.read(`port [${DEFAULT_PORT}]: `);
      if (port === undefined) return undefined;
      try {
        settings.port = port.trim() ? parsePort(port.trim(), 'port') : DEFAULT_PORT;
        break;
      } catch (error) {
        io.stdout.write(`${(error as Error).message}\n`);
        if (!reader.interactive) return undefined;
      }
    }
  }
  return settings;
}

async function askCredentials(reader: LineReader, known: { user?: string; password?: string }): Promise<{ user: string; password: string } | undefined> {
  let user = known.user;
  while (!user) {
    const answer = await reader.read('user: ');
    if (answer === undefined) return undefined;
    user = answer.trim();
  }
  let password = known.password;
  if (password === undefined) {
    password = await reader.read('password: ', { hidden: true });
    if (password === undefined) return undefined;
  }
  return { user, password };
}

export async function runShell(run: ShellRun): Promise<ExitCode> {
  const parsed = parseShellFlags(run);
  if (typeof parsed === 'number') return parsed;
  const shell = new Shell(run, parsed.base, parsed.pollMs);
  try {
    const started = await shell.start();
    if (started !== EXIT.ok) return started;
    await shell.readCommands();
    return EXIT.ok;
  } finally {
    await shell.close();
  }
}

/** The flags' settings and poll interval, or the usage exit code (reported in one line). */
function parseShellFlags({ flags, io }: ShellRun): { base: ConnectionSettings; pollMs: number } | ExitCode {
  try {
    const base = resolveSettings(flags, io.env);
    const pollMs = flags.pollInterval !== undefined ? parsePositiveInt(flags.pollInterval, 'poll interval', '--poll-interval 5000') : DEFAULT_POLL_MS;
    return { base, pollMs };
  } catch (error) {
    io.stderr.write(`${failureLine(describeFailure(error, '?'))}\n`);
    return EXIT.usage;
  }
}

/** One shell session: the reader, the logged-in connection, the poller, and what the user has seen. */
class Shell {
  private readonly io: CliIo;
  private readonly flags: ShellFlags;
  private readonly clock: Clock;
  private readonly state = new ShellState();
  private readonly reader: LineReader;
  private readonly historyFile: string;
  private keeper: ConnectionKeeper | undefined;
  private poller: Poller | undefined;
  private me = '';
  private where = '';

  constructor(
    private readonly run: ShellRun,
    private readonly base: ConnectionSettings,
    private readonly pollMs: number,
  ) {
    this.io = run.io;
    this.flags = run.flags;
    this.clock = run.clock ?? systemClock;
    this.historyFile = this.io.interactive ? (this.flags.historyFile ?? DEFAULT_HISTORY_FILE) : '';
    const rl = readline.createInterface({
      input: this.io.stdin,
      // Interactive mode only: the process's stdout is then a TTY stream readline can draw on.
      ...(this.io.interactive ? { output: this.io.stdout as unknown as NodeJS.WritableStream } : {}),
      terminal: this.io.interactive,
      completer: createCompleter(() => this.state.knownUsers, this.io.cwd),
      history: this.historyFile ? loadHistory(this.historyFile) : [],
      historySize: 1000,
      removeHistoryDuplicates: true,
    });
    this.reader = new LineReader(rl, this.io.stdout, this.io.interactive);
  }

  /** Asks for what is missing, logs in, greets, starts polling; EXIT.ok or the exit code to end with. */
  async start(): Promise<ExitCode> {
    const settings = await askSettings(this.reader, this.flags, this.io, this.base);
    if (!settings) {
      this.io.stderr.write('instanet client shell: input ended before the server address was given — pass --host and --port\n');
      return EXIT.usage;
    }
    this.where = `${settings.host}:${settings.port}`;
    const loggedIn = await this.logIn(settings);
    if (loggedIn !== EXIT.ok) return loggedIn;
    this.greet();
    this.poller = new Poller({ keeper: this.keeper!, state: this.state, me: this.me, intervalMs: this.pollMs, notify: (t) => this.reader.notice(t) });
    if (this.flags.poll !== false) this.poller.start();
    return EXIT.ok;
  }

  /** Logs in, asking again for the user and password when the server refuses them (interactive only). */
  private async logIn(settings: ConnectionSettings): Promise<ExitCode> {
    for (let tries = 1; ; tries += 1) {
      const credentials = await askCredentials(this.reader, tries === 1 ? { user: settings.user, password: settings.password } : {});
      if (!credentials) {
        this.io.stderr.write('instanet client shell: input ended before the user and password were given — pass --user and --password\n');
        return EXIT.usage;
      }
      this.keeper = new ConnectionKeeper({
        settings,
        user: credentials.user,
        password: credentials.password,
        say: (t) => this.reader.notice(t),
        baseDelayMs: this.run.reconnectBaseDelayMs ?? 500,
        onConnected: (client, reconnected) => this.onConnected(client, reconnected),
      });
      try {
        const client = await this.keeper.open();
        this.me = client.username ?? credentials.user;
        return EXIT.ok;
      } catch (error) {
        await this.keeper.close();
        const failure = describeFailure(error, this.where);
        this.io.stderr.write(`${failureLine(failure)}\n`);
        if (!(error instanceof ErrorReplyError) || !this.reader.interactive || tries >= MAX_LOGIN_TRIES) return failure.exitCode;
      }
    }
  }

  private async onConnected(client: InstaNetClient, reconnected: boolean): Promise<void> {
    const { users } = await client.getAllUsers();
    users.forEach((u) => this.state.knownUsers.add(u));
    if (reconnected) return;
    const { user_data } = await client.getUserData(client.username ?? '');
    this.state.user = { friends: [...user_data.friends], requests: [...user_data.requests] };
    user_data.friends.forEach((f) => this.state.watch(f));
  }

  private greet(): void {
    const pollNote = this.flags.poll === false ? 'Polling is off (`poll` checks now).' : `Checking for new messages and friend requests every ${this.pollMs / 1000} s.`;
    this.io.stdout.write(`Connected to ${this.where} as ${this.me}. Type \`help\` for commands, \`quit\` to leave. ${pollNote}\n`);
    const pending = this.state.user?.requests ?? [];
    if (pending.length > 0) this.io.stdout.write(`🔔 pending friend requests from: ${pending.join(', ')}\n`);
  }

  /** Reads commands until quit, exit or the end of input. */
  async readCommands(): Promise<void> {
    const session: string[] = [];
    for (;;) {
      const line = await this.reader.read(`${this.me}@${this.where}> `);
      if (line === undefined) return;
      const trimmed = line.trim();
      if (!trimmed) continue;
      session.push(trimmed);
      if (this.historyFile) appendHistory(this.historyFile, trimmed);
      const name = trimmed.split(/\s+/)[0]!;
      if (name === 'quit' || name === 'exit') return;
      await this.execute(name, trimmed, session);
    }
  }

  private async execute(name: string, line: string, session: readonly string[]): Promise<void> {
    try {
      if (await this.builtin(name, line, session)) return;
      const spec = findCommand(name);
      if (!spec) {
        const guess = suggest(name);
        throw new ClientUsageError(`unknown command \`${name}\``, guess ? `did you mean \`${guess}\`? type \`help\` for the list` : 'type `help` for the list');
      }
      const parsed = parseCommandLine(spec, line);
      precheck(spec, parsed.args, parsed.options, this.io.cwd);
      const result = await this.keeper!.use((client) => spec.run({ client, user: this.me, cwd: this.io.cwd, clock: this.clock }, parsed.args, parsed.options));
      await this.remember(result);
      this.io.stdout.write(parsed.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatHuman(result)}\n`);
    } catch (error) {
      const failure = describeFailure(error, this.where);
      this.io.stdout.write(`error: ${failure.message} — ${failure.hint}\n`);
    }
  }

  /** The shell's own commands; true when `name` was one. */
  private async builtin(name: string, line: string, session: readonly string[]): Promise<boolean> {
    switch (name) {
      case 'help':
        this.io.stdout.write(`${helpText(line.split(/\s+/)[1])}\n`);
        return true;
      case 'whoami':
        this.io.stdout.write(`${this.me} on ${this.where}${this.keeper!.connected ? '' : ' (disconnected, reconnecting)'}\n`);
        return true;
      case 'history':
        this.io.stdout.write(`${session.map((l, i) => `${String(i + 1).padStart(4)}  ${l}`).join('\n')}\n`);
        return true;
      case 'poll':
        await this.poller!.pollNow();
        return true;
      case 'watch': {
        const other = line.split(/\s+/)[1];
        if (!other) throw new ClientUsageError('watch: missing <user>', 'usage: watch <user>');
        const { messages } = await this.keeper!.use((c) => c.getMessages(this.me, other));
        this.state.watch(other, messages.length);
        this.io.stdout.write(`Watching your conversation with ${other} (${messages.length} messages so far).\n`);
        return true;
      }
      default:
        return false;
    }
  }

  /** Keeps completion and polling in step with what the user just did or saw. */
  private async remember(result: CommandResult): Promise<void> {
    const state = this.state;
    const user = state.user ?? { friends: [], requests: [] };
    switch (result.command) {
      case 'users':
        result.users.forEach((u) => state.knownUsers.add(u));
        state.user = { friends: result.friends, requests: result.requests };
        break;
      case 'requests':
        state.user = { friends: user.friends, requests: result.requests };
        break;
      case 'friends':
        state.user = { friends: result.friends, requests: user.requests };
        break;
      case 'accept':
        state.user = { friends: [...user.friends, result.from], requests: user.requests.filter((r) => r !== result.from) };
        state.watch(result.from);
        break;
      case 'reject':
        state.user = { friends: user.friends, requests: user.requests.filter((r) => r !== result.from) };
        break;
      case 'friend-request':
        state.knownUsers.add(result.to);
        break;
      case 'messages':
        state.watch(result.with, result.messages.length);
        break;
      case 'dm':
      case 'dm-image': {
        // Mark the conversation read up to our own message, so only the other side's replies are news.
        const { messages } = await this.keeper!.use((c) => c.getMessages(this.me, result.to)).catch(() => ({ messages: undefined }));
        state.watch(result.to, messages?.length);
        break;
      }
      default:
        break;
    }
  }

  async close(): Promise<void> {
    await this.poller?.stop();
    await this.keeper?.close();
    this.reader.close();
    if (this.reader.interactive) this.io.stdout.write('bye\n');
  }
}
