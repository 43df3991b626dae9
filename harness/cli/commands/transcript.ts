import { Command } from 'commander';
import { parseHostPort, positiveInteger } from '../../transcript/host-port.ts';
import type { DiffFlags, ReplayFlags, ShowFlags } from './transcript-action.ts';

// `instanet transcript ...`: the flags; each action imports ./transcript-action.ts when it runs.

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
    .action(async (file: string, flags: ShowFlags) => (await import('./transcript-action.ts')).showAction(file, flags));
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
    .action(async (file: string, flags: ReplayFlags) => (await import('./transcript-action.ts')).replayAction(file, flags));
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
    .action(async (a: string, b: string, flags: DiffFlags) => (await import('./transcript-action.ts')).diffAction(a, b, flags));
}

function validateCommand(): Command {
  return new Command('validate')
    .description('check that files are valid transcripts (exit 0 all valid, 2 otherwise)')
    .argument('<files...>', '.jsonl transcripts')
    .action(async (files: string[]) => (await import('./transcript-action.ts')).validateAction(files));
}

export function transcriptCommand(): Command {
  return new Command('transcript')
    .description('inspect, replay, compare and validate transcripts (JSON Lines recordings of every byte on the wire)')
    .addCommand(showCommand())
    .addCommand(replayCommand())
    .addCommand(diffCommand())
    .addCommand(validateCommand());
}
