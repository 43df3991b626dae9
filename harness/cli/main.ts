import { Command, CommanderError } from 'commander';
import { applyCommandConventions, commandPath, commanderExitCode } from './command-conventions.ts';
import { COMMANDS, type CommandEntry } from './commands/index.ts';
import { EXIT, exitCodeOf, exitTableText } from './exit-codes.ts';
import { KIT_VERSION } from '../base/kit-version.ts';

// `instanet`: loads only the command named on the command line; the others are listed by name and
// summary so `instanet --help` still shows them all.

/** The first word that is not an option: the only options before a command are --help/--version. */
function invokedName(argv: readonly string[]): string | undefined {
  return argv.find((word) => !word.startsWith('-'));
}

async function commandFor(entry: CommandEntry, invoked: string | undefined): Promise<Command> {
  const command = entry.name === invoked ? await entry.load() : new Command(entry.name);
  return command.description(entry.summary);
}

async function buildProgram(argv: readonly string[]): Promise<{ program: Command; running: () => string }> {
  const program = new Command()
    .name('instanet')
    .description('InstaNet Conformance Kit: run, test and grade InstaNet servers and clients')
    .version(KIT_VERSION)
    .addHelpText('after', `\n${exitTableText()}`);
  const invoked = invokedName(argv);
  for (const entry of COMMANDS) program.addCommand(await commandFor(entry, invoked));
  let running = 'instanet';
  program.hook('preAction', (_root, action) => {
    running = commandPath(action);
  });
  return { program: applyCommandConventions(program), running: () => running };
}

/** One line: the command and the message; the stack only when INSTANET_DEBUG asks for it. */
function reportFailure(where: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${where}: ${message}\n`);
  if (process.env['INSTANET_DEBUG'] && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
}

const argv = process.argv.slice(2);
const { program, running } = await buildProgram(argv);
try {
  await program.parseAsync(argv, { from: 'user' });
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = commanderExitCode(error);
  } else {
    reportFailure(running(), error);
    process.exitCode = exitCodeOf(error);
  }
}
if (process.exitCode === undefined) process.exitCode = EXIT.ok;
