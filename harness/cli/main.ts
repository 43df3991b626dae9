import { Command } from 'commander';
import { KIT_VERSION } from './version.ts';
import { registerCommands } from './commands/index.ts';

const program = new Command();
program
  .name('instanet')
  .description('InstaNet Conformance Kit: run, test and grade InstaNet servers and clients')
  .version(KIT_VERSION)
  .showHelpAfterError('(run with --help for usage)');

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // commander's own usage errors already printed; anything else is a bug or an I/O failure.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`instanet: ${message}\n`);
  process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 3;
}
