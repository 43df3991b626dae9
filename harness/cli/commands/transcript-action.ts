import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import pc from 'picocolors';
import { compareTranscripts, describe, type Divergence } from '../../transcript/compare.ts';
import { InvalidTranscriptError, TranscriptError } from '../../transcript/errors.ts';
import { formatHostPort } from '../../transcript/host-port.ts';
import { loadTranscript } from '../../transcript/load.ts';
import { writeTranscriptFile } from '../../transcript/recorder.ts';
import { renderHtml } from '../../transcript/render-html.ts';
import { formatTime, renderTerminal } from '../../transcript/render-terminal.ts';
import { ReplayConnectError, replayTranscript } from '../../transcript/replay.ts';
import type { Transcript } from '../../transcript/format.ts';
import { EXIT as KIT_EXIT } from '../exit-codes.ts';

// The transcript tools' outcomes in the kit's exit-code table: 0 match / shown, 1 divergence,
// 2 unusable input (a file that is not a transcript), 3 the target could not be reached.
export const EXIT = { ok: KIT_EXIT.ok, diverged: KIT_EXIT.failed, badInput: KIT_EXIT.usage, unreachable: KIT_EXIT.environment } as const;

async function load(file: string): Promise<Transcript | undefined> {
  try {
    return await loadTranscript(file);
  } catch (error) {
    if (error instanceof TranscriptError) {
      process.stderr.write(`instanet transcript: ${error.message}\n`);
      process.exitCode = EXIT.badInput;
      return undefined;
    }
    throw error;
  }
}

function colorFlag(flag: boolean | undefined): boolean {
  return flag ?? (pc.isColorSupported && process.stdout.isTTY === true);
}

function colorDiff(diff: string, color: boolean): string {
  if (!color) return diff;
  return diff
    .split('\n')
    .map((line) => (line.startsWith('+') && !line.startsWith('+++') ? pc.green(line) : line.startsWith('-') && !line.startsWith('---') ? pc.red(line) : line.startsWith('@@') ? pc.cyan(line) : line))
    .join('\n');
}

export function formatDivergences(divergences: readonly Divergence[], labels: [string, string], color: boolean): string {
  if (divergences.length === 0) return '';
  const first = divergences[0]!;
  const lines: string[] = [];
  const at = first.expected ? ` at ${formatTime(first.expected.event.t)} (line ${first.expected.index + 2} of ${labels[0]})` : '';
  lines.push(`first divergence on connection ${first.conn}, event ${first.position + 1}${at}: ${first.reason}`);
  lines.push(`  ${labels[0]}: ${first.expected ? describe(first.expected.event) : '(nothing)'}`);
  lines.push(`  ${labels[1]}: ${first.actual ? describe(first.actual.event) : '(nothing)'}`);
  if (first.diff) lines.push('', colorDiff(first.diff.trimEnd(), color));
  if (divergences.length > 1) {
    lines.push('', `${divergences.length - 1} more connection(s) diverge: ${divergences.slice(1).map((d) => `${d.conn} (${d.reason})`).join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface ShowFlags { html?: string; conn?: string[]; full?: boolean; width?: number; color?: boolean }
export interface ReplayFlags { target: { host: string; port: number }; timeout: number; images?: string[]; record?: string; whitespace?: boolean; color?: boolean }
export interface DiffFlags { whitespace?: boolean; strictImages: boolean; color?: boolean }

export async function showAction(file: string, flags: ShowFlags): Promise<void> {
  const transcript = await load(file);
  if (!transcript) return;
  process.stdout.write(
    renderTerminal(transcript, {
      width: flags.width ?? process.stdout.columns ?? 120,
      color: colorFlag(flags.color),
      full: flags.full ?? false,
      ...(flags.conn ? { conns: flags.conn } : {}),
    }),
  );
  if (flags.html) {
    await mkdir(dirname(flags.html), { recursive: true });
    await writeFile(flags.html, renderHtml(transcript));
    process.stdout.write(`wrote ${flags.html}\n`);
  }
}

export async function replayAction(file: string, flags: ReplayFlags): Promise<void> {
  const expected = await load(file);
  if (!expected) return;
  const target = formatHostPort(flags.target.host, flags.target.port);
  let result;
  try {
    result = await replayTranscript(expected, {
      host: flags.target.host,
      port: flags.target.port,
      timeoutMs: flags.timeout,
      ...(flags.images ? { imageDirs: flags.images } : {}),
      compare: { whitespace: flags.whitespace ?? false },
    });
  } catch (error) {
    if (error instanceof ReplayConnectError) {
      process.stderr.write(`instanet transcript replay: ${error.message}\n`);
      process.exitCode = EXIT.unreachable;
      return;
    }
    if (error instanceof TranscriptError) {
      process.stderr.write(`instanet transcript replay: ${error.message}\n`);
      process.exitCode = EXIT.badInput;
      return;
    }
    throw error;
  }
  for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
  if (flags.record) await writeTranscriptFile(flags.record, result.actual);
  const color = colorFlag(flags.color);
  if (result.ok) {
    process.stdout.write(`${color ? pc.green('match') : 'match'}: ${file} replayed against ${target}, ${result.compared} events compared\n`);
    process.exitCode = EXIT.ok;
    return;
  }
  process.stdout.write(`${color ? pc.red('divergence') : 'divergence'}: ${file} replayed against ${target}\n`);
  if (result.stoppedAt) process.stdout.write(`replay stopped on ${result.stoppedAt.conn}: no ${result.stoppedAt.waitingFor} within ${flags.timeout} ms\n`);
  process.stdout.write(formatDivergences(result.divergences, ['recorded', 'replayed'], color));
  process.exitCode = EXIT.diverged;
}

export async function diffAction(a: string, b: string, flags: DiffFlags): Promise<void> {
  const left = await load(a);
  const right = left ? await load(b) : undefined;
  if (!left || !right) return;
  const result = compareTranscripts(left, right, { whitespace: flags.whitespace ?? false, imageHashes: flags.strictImages, labels: [a, b] });
  if (result.ok) {
    process.stdout.write(`same: ${result.compared} events compared\n`);
    process.exitCode = EXIT.ok;
    return;
  }
  process.stdout.write(formatDivergences(result.divergences, [a, b], colorFlag(flags.color)));
  process.exitCode = EXIT.diverged;
}

export async function validateAction(files: string[]): Promise<void> {
  let bad = 0;
  for (const file of files) {
    try {
      const t = await loadTranscript(file);
      process.stdout.write(`ok  ${file} (${t.events.length} events)\n`);
    } catch (error) {
      if (!(error instanceof TranscriptError)) throw error;
      bad += 1;
      process.stdout.write(`bad ${file}\n${error instanceof InvalidTranscriptError ? error.message.split('\n').slice(1).join('\n') : `  ${error.message}`}\n`);
    }
  }
  process.exitCode = bad > 0 ? EXIT.badInput : EXIT.ok;
}
