import type { Command } from 'commander';
import { serveCommand } from './serve.ts';
import { clientCommand } from './client.ts';
import { proxyCommand } from './proxy.ts';
import { transcriptCommand } from './transcript.ts';
import { reportsCommand } from './reports.ts';
import { gradeCommand } from './grade.ts';
import { gradebookCommand } from './gradebook.ts';
import { testCommand } from './test.ts';

// One line per command file; a command is listed here only once it works end to end,
// so `instanet --help` never advertises something that is not there.
export function registerCommands(program: Command): void {
  program.addCommand(serveCommand());
  program.addCommand(proxyCommand());
  program.addCommand(transcriptCommand());
  program.addCommand(reportsCommand());
  program.addCommand(clientCommand());
  program.addCommand(gradeCommand());
  program.addCommand(gradebookCommand());
  program.addCommand(testCommand());
}
