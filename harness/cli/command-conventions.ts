import { CommanderError, type Command } from 'commander';
import { EXIT, type ExitCode } from './exit-codes.ts';

// Every command, built here or borrowed (the reference client's), behaves the same on a usage
// mistake: one line on stderr naming the command and what to fix, then exit 2. Commander's own
// default is exit 1 plus a second "(run with --help)" line, which a CI log reads as a failed verdict.

/** "instanet grade", "instanet transcript replay": how a person would type it. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

// Commander: "option '--jobs <n>' argument 'abc' is invalid. expected a positive integer".
const INVALID_ARGUMENT = /^option '(-[^ ,']+)(?:, (--[^ ']+))?[^']*' argument '(.*)' is invalid\. ?(.*)$/s;

/** Commander's message reworded into "--jobs abc: expected a positive integer". */
export function usageMessage(raw: string): string {
  const text = raw.trim().replace(/^error: /, '');
  const invalid = INVALID_ARGUMENT.exec(text);
  if (invalid) {
    const [, short, long, value, reason] = invalid;
    const flag = long ?? short ?? '';
    // A parser that already names its flag ("--shard must be i/n ...") needs no "--shard 4/3:" before it.
    return reason?.startsWith(flag) ? reason : `${flag} ${value}: ${reason || 'invalid value'}`;
  }
  return text.replace(/\s*\n\s*\(Did you mean/g, ' (did you mean').replace(/\s*\n\s*/g, '; ');
}

export function usageLine(command: Command, raw: string): string {
  return `${commandPath(command)}: ${usageMessage(raw)} (see \`${commandPath(command)} --help\`)\n`;
}

/** Applies the conventions to `command` and every subcommand it has now. */
export function applyCommandConventions(command: Command): Command {
  command
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(usageLine(command, text)) });
  for (const sub of command.commands) applyCommandConventions(sub);
  return command;
}

/** The exit code for what commander threw: help and --version are fine, the rest is usage. */
export function commanderExitCode(error: CommanderError): ExitCode {
  const fine = ['commander.helpDisplayed', 'commander.version', 'commander.executeSubCommandAsync'];
  return fine.includes(error.code) || error.exitCode === 0 ? EXIT.ok : EXIT.usage;
}

export { CommanderError };
