import type { Command } from 'commander';
import { buildClientCommand } from '../../../reference/client/cli/client-command.ts';
import { processIo } from '../../../reference/client/cli/io.ts';

// `instanet client ...`: the reference client's command line and shell (reference/client/cli).
export function clientCommand(): Command {
  return buildClientCommand(processIo());
}
