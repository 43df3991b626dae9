import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Command } from 'commander';
import pc from 'picocolors';
import { compareTranscripts, describe, type Divergence } from '../../transcript/compare.ts';
import { InvalidTranscriptError, TranscriptError } from '../../transcript/errors.ts';
import { formatHostPort, parseHostPort, positiveInteger } from '../../transcript/host-port.ts';
import { loadTranscript } from '../../transcript/load.ts';
import { writeTranscriptFile } from '../../transcript/recorder.ts';
import { renderHtml } from '../../transcript/render-html.ts';
import { formatTime, renderTerminal } from '../../transcript/render-terminal.ts';
import { ReplayConnectError, replayTranscript } from '../../transcript/replay.ts';
import type { Transcript } from '../../transcript/format.ts';

// Exit codes: 0 match / shown, 1 divergence, 2 unusable input (a file that is not a transcript),
// 3 the target could not be reached.
export const EXIT = { ok: 0, diverged: 1, badInput: 2, unreachable: 3 } as const;

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

function showCommand(): Command {
  return new Command('show')
    .description('show a transcript: client | server columns, timing, images summarized, violations marked')
    .argument('<file>', 'a .jsonl transcript, or report.json#CASE for a case of a run')
    .option('--html <out>', 'also write a self-contained sequence-diagram page')
    .option('--conn <id...>', 'only these connections')
    .option('--full', 'wrap long messages instead of cutting them')
    .option('--width <n>', 'columns (default: the terminal width)', positiveInteger('--width', 60))
    .option('--color', 'force colors')
    .option('--no-color', 'no colors')
    .action(async (file: string, flags: { html?: string; conn?: string[]; full?: boolean; width?: number; color?: boolean }) => {
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
    });
}

function replayCommand(): Command {
  return new Command('replay')
    .description("replay a transcript's client side against a server and compare the replies (exit 0 match, 1 divergence, 2 bad transcript, 3 unreachable)")
    .argument('<file>', 'a .jsonl transcript, or report.json#CASE for a case of a run')
    .requiredOption('--target <host:port>', 'the server to replay against', (v) => parseHostPort(v))
    .option('--timeout <ms>', 'longest wait for one expected server message', positiveInteger('--timeout'), 5000)
    .option('--images <dir...>', 'folders holding images the transcript kept only the hash of')
    .option('--record <file>', "write what the server did as a transcript (for show/diff)")
    .option('--whitespace', 'also compare whitespace between messages')
    .option('--color', 'force colors')
    .option('--no-color', 'no colors')
    .action(async (file: string, flags: { target: { host: string; port: number }; timeout: number; images?: string[]; record?: string; whitespace?: boolean; color?: boolean }) => {
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
    });
}

function diffCommand(): Command {
  return new Command('diff')
    .description('compare two transcripts connection by connection: the first divergence and a readable diff (exit 0 same, 1 different)')
    .argument('<a>', 'a .jsonl transcript, or report.json#CASE')
    .argument('<b>', 'another .jsonl transcript, or report.json#CASE')
    .option('--whitespace', 'also compare whitespace between messages')
    .option('--strict-images', 'compare image hashes (on by default)', true)
    .option('--no-strict-images', 'compare image sizes only')
    .option('--color', 'force colors')
    .option('--no-color', 'no colors')
    .action(async (a: string, b: string, flags: { whitespace?: boolean; strictImages: boolean; color?: boolean }) => {
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
    });
}

function validateCommand(): Command {
  return new Command('validate')
    .description('check that files are valid transcripts (exit 0 all valid, 2 otherwise)')
    .argument('<files...>', '.jsonl transcripts')
    .action(async (files: string[]) => {
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
    });
}

export function transcriptCommand(): Command {
  return new Command('transcript')
    .description('inspect, replay, compare and validate transcripts (JSON Lines recordings of every byte on the wire)')
    .addCommand(showCommand())
    .addCommand(replayCommand())
    .addCommand(diffCommand())
    .addCommand(validateCommand());
}
