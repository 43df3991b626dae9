import { InstaNetClient } from '../instanet-client.ts';
import { systemClock, type Clock } from '../timestamps.ts';
import type { CommandSpec } from './command-spec.ts';
import { precheck } from './commands.ts';
import { requireCredentials, type ConnectionSettings } from './connection-settings.ts';
import { describeFailure, failureLine } from './describe-failure.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { formatHuman } from './format-human.ts';
import type { CliIo } from './io.ts';

// One scripted command: connect, log in, run, print, close. Every failure ends as one line on
// stderr (and a JSON object on stdout with --json) plus an exit code, never as a stack trace.

export interface ScriptedRun {
  settings: ConnectionSettings;
  json: boolean;
  io: CliIo;
  clock?: Clock;
}

export async function runScripted(
  spec: CommandSpec,
  args: readonly string[],
  options: Readonly<Record<string, string | undefined>>,
  run: ScriptedRun,
): Promise<ExitCode> {
  const { settings, io } = run;
  const endpoint = `${settings.host}:${settings.port}`;
  const warnings: string[] = [];
  let client: InstaNetClient | undefined;
  try {
    precheck(spec, args, options, io.cwd);
    const { user, password } = requireCredentials(settings);
    client = await InstaNetClient.connect({
      host: settings.host,
      port: settings.port,
      timeoutMs: settings.timeoutMs,
      validation: settings.validation,
      onWarnings: (_action, found) => warnings.push(...found),
    });
    await client.login(user, password);
    const result = await spec.run({ client, user: client.username ?? user, cwd: io.cwd, clock: run.clock ?? systemClock }, args, options);
    for (const warning of warnings) io.stderr.write(`warning: ${warning}\n`);
    if (run.json) {
      io.stdout.write(`${JSON.stringify({ ok: true, command: spec.name, server: endpoint, user: client.username, result, warnings }, null, 2)}\n`);
    } else {
      io.stdout.write(`${formatHuman(result)}\n`);
    }
    return EXIT.ok;
  } catch (error) {
    const failure = describeFailure(error, endpoint);
    for (const warning of warnings) io.stderr.write(`warning: ${warning}\n`);
    io.stderr.write(`${failureLine(failure)}\n`);
    if (run.json) {
      io.stdout.write(`${JSON.stringify({ ok: false, command: spec.name, server: endpoint, exitCode: failure.exitCode, error: failure, warnings }, null, 2)}\n`);
    }
    return failure.exitCode;
  } finally {
    await client?.close().catch(() => undefined);
  }
}
