import { Command } from 'commander';
import { positiveInteger } from '../../transcript/host-port.ts';
import { startReportsServer } from '../../reports-server/reports-server.ts';

/** Printed once listening; scripts and tests read the URL from it (with --port 0). */
export function reportsListeningLine(url: string): string {
  return `InstaNet reports at ${url}`;
}

function serveReportsCommand(): Command {
  return new Command('serve')
    .description('browse runs, gradebooks, per-student reports and transcripts from a browser (read-only; nothing outside the folder is served)')
    .option('--dir <dir>', 'the reports folder', 'reports')
    .option('--host <host>', 'address to bind (keep 127.0.0.1 unless you mean to share the reports)', '127.0.0.1')
    .option('--port <port>', 'port; 0 picks a free one and prints it', positiveInteger('--port', 0), 8080)
    .action(async (flags: { dir: string; host: string; port: number }) => {
      const server = await startReportsServer({ dir: flags.dir, host: flags.host, port: flags.port });
      process.stdout.write(`${reportsListeningLine(server.url)}\n  serving ${server.root}; Ctrl-C stops\n`);
      const stop = (): void => {
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      await new Promise<never>(() => undefined);
    });
}

export function reportsCommand(): Command {
  return new Command('reports').description('work with report folders').addCommand(serveReportsCommand());
}
