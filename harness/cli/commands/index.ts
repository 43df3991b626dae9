import type { Command } from 'commander';

// One line per command file; a command is listed here only once it works end to end,
// so `instanet --help` never advertises something that is not there.
export function registerCommands(program: Command): void {
  void program;
}
