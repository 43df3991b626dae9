import { Command, CommanderError } from 'commander';
import type { Clock } from '../timestamps.ts';
import { runShell } from '../shell/run-shell.ts';
import { COMMANDS } from './commands.ts';
import type { CommandSpec } from './command-spec.ts';
import { DEFAULT_HOST, DEFAULT_PORT, DEFAULT_TIMEOUT_MS, resolveSettings, type ConnectionFlags } from './connection-settings.ts';
import { describeFailure, failureLine } from './describe-failure.ts';
import { EXIT } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import { runScripted } from './run-command.ts';

// `instanet client`: the commander wiring of the command definitions in commands.ts, plus `shell`.

const HELP_AFTER = `
Exit codes: 0 done, 1 the server said error, 2 usage error, 3 connection or protocol failure.
Environment: INSTANET_HOST, INSTANET_PORT, INSTANET_USER, INSTANET_PASSWORD stand in for the flags.

Examples:
  instanet client --port 5001 --user user1 --password 123 users
  instanet client -u user1 --password 123 dm user2 "hello 👋"
  instanet client -u user1 --password 123 post photo.jpg --caption "sunset"
  instanet client -u user1 --password 123 --json feed --save-images ./feed
  instanet client shell --port 5001`;

interface GlobalFlags extends ConnectionFlags {
  json?: boolean;
}

export interface ClientCommandOptions {
  clock?: Clock;
}

function collectArgs(spec: CommandSpec, values: unknown[]): string[] {
  return spec.args.map((arg, index) => {
    const value = values[index];
    return Array.isArray(value) ? value.join(' ') : String(value);
  });
}

export function buildClientCommand(io: CliIo, options: ClientCommandOptions = {}): Command {
  const client = new Command('client')
    .description('use an InstaNet server as one of its users: scriptable commands and an interactive shell')
    .option('--host <host>', `server host (default ${DEFAULT_HOST}, or INSTANET_HOST)`)
    .option('-p, --port <port>', `server port (default ${DEFAULT_PORT}, or INSTANET_PORT)`)
    .option('-u, --user <name>', 'log in as this user (or INSTANET_USER)')
    .option('--password <password>', 'the password (or INSTANET_PASSWORD)')
    .option('--json', 'print one JSON object for scripts instead of text')
    .option('--timeout <ms>', `time allowed per request (default ${DEFAULT_TIMEOUT_MS})`)
    .option('--lenient', 'accept replies that break the reply schema, printing warnings')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run `instanet client --help` for usage)')
    .exitOverride((error: CommanderError) => io.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage))
    .addHelpText('after', HELP_AFTER);

  for (const spec of COMMANDS) {
    const sub = client.command(spec.name).description(spec.summary);
    for (const arg of spec.args) sub.argument(arg.rest ? `<${arg.name}...>` : `<${arg.name}>`, arg.description);
    for (const option of spec.options ?? []) sub.option(`--${option.name} <${option.kind === 'dir' ? 'dir' : option.kind}>`, option.description);
    if (spec.example) sub.addHelpText('after', `\nExample: instanet client ${spec.example}`);
    sub.action(async (...values: unknown[]) => {
      io.begin?.();
      const command = values.at(-1) as Command;
      const flags = command.optsWithGlobals<GlobalFlags & Record<string, string | undefined>>();
      const commandOptions: Record<string, string | undefined> = {};
      for (const option of spec.options ?? []) {
        // commander camel-cases option keys (--save-images -> saveImages).
        const key = option.name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
        commandOptions[option.name] = flags[key] as string | undefined;
      }
      let settings;
      try {
        settings = resolveSettings(flags, io.env);
      } catch (error) {
        const failure = describeFailure(error, '?');
        io.stderr.write(`${failureLine(failure)}\n`);
        io.setExitCode(failure.exitCode);
        return;
      }
      const code = await runScripted(spec, collectArgs(spec, values.slice(0, spec.args.length)), commandOptions, {
        settings,
        json: Boolean(flags.json),
        io,
        ...(options.clock ? { clock: options.clock } : {}),
      });
      io.setExitCode(code);
    });
  }

  client
    .command('shell')
    .description('interactive shell: the same commands at a prompt, with tab completion and notices of new messages and friend requests')
    .option('--poll-interval <ms>', 'how often to check for new messages and friend requests (default 5000)')
    .option('--no-poll', 'do not check for new messages and friend requests')
    .option('--history-file <path>', 'where to keep the command history (default ~/.instanet_client_history; "" for none)')
    .action(async (_options: unknown, command: Command) => {
      io.begin?.();
      const flags = command.optsWithGlobals<GlobalFlags & { pollInterval?: string; poll?: boolean; historyFile?: string }>();
      const code = await runShell({ flags, io, ...(options.clock ? { clock: options.clock } : {}) });
      io.setExitCode(code);
    });

  return client;
}

// Not a failure but control flow: it carries an exit code out of commander's callbacks, and is
// caught right here, so it stays outside the KitError family on purpose.
class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/**
 * Runs `instanet client <argv>` in-process and resolves with the exit code; `io.exit` is replaced so
 * a usage error ends the run instead of the process. For tests and embedding.
 */
export async function runClientCli(argv: readonly string[], io: Omit<CliIo, 'exit' | 'setExitCode'>, options: ClientCommandOptions = {}): Promise<number> {
  let exitCode = 0;
  const fullIo: CliIo = {
    ...io,
    exit: (code) => {
      throw new CliExit(code);
    },
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  try {
    await buildClientCommand(fullIo, options).parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CliExit) return error.exitCode;
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
}
