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
  const { flags, io } = run;
  const clock = run.clock ?? systemClock;
  let base: ConnectionSettings;
  let pollMs = DEFAULT_POLL_MS;
  try {
    base = resolveSettings(flags, io.env);
    if (flags.pollInterval !== undefined) pollMs = parsePositiveInt(flags.pollInterval, 'poll interval', '--poll-interval 5000');
  } catch (error) {
    io.stderr.write(`${failureLine(describeFailure(error, '?'))}\n`);
    return EXIT.usage;
  }

  const historyFile = io.interactive ? (flags.historyFile ?? DEFAULT_HISTORY_FILE) : '';
  const state = new ShellState();
  const rl = readline.createInterface({
    input: io.stdin,
    // Interactive mode only: the process's stdout is then a TTY stream readline can draw on.
    ...(io.interactive ? { output: io.stdout as unknown as NodeJS.WritableStream } : {}),
    terminal: io.interactive,
    completer: createCompleter(() => state.knownUsers, io.cwd),
    history: historyFile ? loadHistory(historyFile) : [],
    historySize: 1000,
    removeHistoryDuplicates: true,
  });
  const reader = new LineReader(rl, io.stdout, io.interactive);
  const say = (text: string) => reader.notice(text);
  let keeper: ConnectionKeeper | undefined;
  let poller: Poller | undefined;

  try {
    const settings = await askSettings(reader, flags, io, base);
    if (!settings) {
      io.stderr.write('instanet client shell: input ended before the server address was given — pass --host and --port\n');
      return EXIT.usage;
    }
    const where = `${settings.host}:${settings.port}`;

    async function onConnected(client: InstaNetClient, reconnected: boolean): Promise<void> {
      const { users } = await client.getAllUsers();
      users.forEach((u) => state.knownUsers.add(u));
      if (reconnected) return;
      const name = client.username ?? '';
      const { user_data } = await client.getUserData(name);
      state.user = { friends: [...user_data.friends], requests: [...user_data.requests] };
      user_data.friends.forEach((f) => state.watch(f));
    }

    // Log in, asking again for the user and password when the server refuses them (interactive only).
    let me = '';
    for (let tries = 1; ; tries += 1) {
      const credentials = await askCredentials(reader, tries === 1 ? { user: settings.user, password: settings.password } : {});
      if (!credentials) {
        io.stderr.write('instanet client shell: input ended before the user and password were given — pass --user and --password\n');
        return EXIT.usage;
      }
      keeper = new ConnectionKeeper({
        settings,
        user: credentials.user,
        password: credentials.password,
        say,
        baseDelayMs: run.reconnectBaseDelayMs ?? 500,
        onConnected: (client, reconnected) => onConnected(client, reconnected),
      });
      try {
        const client = await keeper.open();
        me = client.username ?? credentials.user;
        break;
      } catch (error) {
        await keeper.close();
        const failure = describeFailure(error, where);
        io.stderr.write(`${failureLine(failure)}\n`);
        if (!(error instanceof ErrorReplyError) || !reader.interactive || tries >= MAX_LOGIN_TRIES) return failure.exitCode;
      }
    }

    const pollNote = flags.poll === false ? 'Polling is off (`poll` checks now).' : `Checking for new messages and friend requests every ${pollMs / 1000} s.`;
    io.stdout.write(`Connected to ${where} as ${me}. Type \`help\` for commands, \`quit\` to leave. ${pollNote}\n`);
    const pending = state.user?.requests ?? [];
    if (pending.length > 0) io.stdout.write(`🔔 pending friend requests from: ${pending.join(', ')}\n`);

    poller = new Poller({ keeper: keeper!, state, me, intervalMs: pollMs, notify: say });
    if (flags.poll !== false) poller.start();

    async function execute(name: string, line: string, session: readonly string[]): Promise<void> {
      const activeKeeper = keeper!;
      try {
        switch (name) {
          case 'help':
            io.stdout.write(`${helpText(line.split(/\s+/)[1])}\n`);
            return;
          case 'whoami':
            io.stdout.write(`${me} on ${where}${activeKeeper.connected ? '' : ' (disconnected, reconnecting)'}\n`);
            return;
          case 'history':
            io.stdout.write(`${session.map((l, i) => `${String(i + 1).padStart(4)}  ${l}`).join('\n')}\n`);
            return;
          case 'poll':
            await poller!.pollNow();
            return;
          case 'watch': {
            const other = line.split(/\s+/)[1];
            if (!other) throw new ClientUsageError('watch: missing <user>', 'usage: watch <user>');
            const { messages } = await activeKeeper.use((c) => c.getMessages(me, other));
            state.watch(other, messages.length);
            io.stdout.write(`Watching your conversation with ${other} (${messages.length} messages so far).\n`);
            return;
          }
        }
        const spec = findCommand(name);
        if (!spec) {
          const guess = suggest(name);
          throw new ClientUsageError(`unknown command \`${name}\``, guess ? `did you mean \`${guess}\`? type \`help\` for the list` : 'type `help` for the list');
        }
        const parsed = parseCommandLine(spec, line);
        precheck(spec, parsed.args, parsed.options, io.cwd);
        const result = await activeKeeper.use((client) => spec.run({ client, user: me, cwd: io.cwd, clock }, parsed.args, parsed.options));
        await remember(result);
        io.stdout.write(parsed.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatHuman(result)}\n`);
      } catch (error) {
        const failure = describeFailure(error, where);
        io.stdout.write(`error: ${failure.message} — ${failure.hint}\n`);
      }
    }

    /** Keeps completion and polling in step with what the user just did or saw. */
    async function remember(result: CommandResult): Promise<void> {
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
          const { messages } = await keeper!.use((c) => c.getMessages(me, result.to)).catch(() => ({ messages: undefined }));
          state.watch(result.to, messages?.length);
          break;
        }
        default:
          break;
      }
    }
    const session: string[] = [];
    for (;;) {
      const line = await reader.read(`${me}@${where}> `);
      if (line === undefined) break;
      const trimmed = line.trim();
      if (!trimmed) continue;
      session.push(trimmed);
      if (historyFile) appendHistory(historyFile, trimmed);
      const name = trimmed.split(/\s+/)[0]!;
      if (name === 'quit' || name === 'exit') break;
      await execute(name, trimmed, session);
    }
    return EXIT.ok;

  } finally {
    await poller?.stop();
    await keeper?.close();
    reader.close();
    if (reader.interactive) io.stdout.write('bye\n');
  }
}
