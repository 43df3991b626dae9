import type { TargetInstance } from '../targets/target.ts';
import { evidenceHint } from './evidence-hints.ts';
import type { CaseResult } from './report-format.ts';

// Attaches to a case that did not pass the lines its server printed while it ran, and lets that
// evidence choose the hint. Passing cases carry none: the starter prints a line per connection, and
// a report of a clean run should not repeat them 75 times.

const MAX_LINES = 60;
/** A traceback is written in a few pieces; give the last ones a moment to arrive, never long. */
const SETTLE_STEP_MS = 40;
const SETTLE_MAX_MS = 240;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function settle(instance: TargetInstance): Promise<void> {
  if (!instance.lastOutputAt) return;
  const until = performance.now() + SETTLE_MAX_MS;
  do await sleep(SETTLE_STEP_MS);
  while (performance.now() - (instance.lastOutputAt() ?? -Infinity) < SETTLE_STEP_MS && performance.now() < until);
}

// "('127.0.0.1', 43250)" as server.py prints a client, or "127.0.0.1:43250".
const CLIENT_ADDRESS = /\(\s*'[^']*',\s*(\d+)\s*\)|\b\d{1,3}(?:\.\d{1,3}){3}:(\d+)/g;

/**
 * A line naming another client belongs to another case (the previous case's connection, closed as
 * it ended, is often logged a moment later). Applied only when some line names one of this case's
 * own clients: behind the grader's relay the server sees other ports, and then every line stays.
 */
export function ownLines(lines: readonly string[], clientPorts: ReadonlySet<number>): string[] {
  const portsOf = (line: string) => [...line.matchAll(CLIENT_ADDRESS)].map((m) => Number(m[1] ?? m[2]));
  if (!lines.some((l) => portsOf(l).some((p) => clientPorts.has(p)))) return [...lines];
  return lines.filter((l) => {
    const ports = portsOf(l);
    return ports.length === 0 || ports.some((p) => clientPorts.has(p));
  });
}

export async function withServerEvidence(
  result: CaseResult,
  instance: TargetInstance,
  window: { from: number; clientPorts: ReadonlySet<number> },
): Promise<CaseResult> {
  if (result.verdict === 'PASSED' || result.verdict === 'SKIPPED' || !instance.outputBetween) return result;
  await settle(instance);
  const lines = ownLines(instance.outputBetween(window.from, performance.now()), window.clientPorts);
  if (!lines.length) return result;
  const serverOutput = lines.length > MAX_LINES ? [`… ${lines.length - MAX_LINES} earlier line(s) left out`, ...lines.slice(-MAX_LINES)] : lines;
  const hint = evidenceHint(lines, result.hint);
  return { ...result, serverOutput, ...(hint ? { hint } : {}) };
}
