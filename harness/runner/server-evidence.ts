import { waitUntilQuiet } from '../process/own-time.ts';
import type { TargetInstance } from '../targets/target.ts';
import { sleep } from './connection.ts';
import { evidenceHint } from './evidence-hints.ts';
import type { CaseResult } from './report-format.ts';

// Attaches to a case that did not pass the lines its server printed while it ran, and lets that
// evidence choose the hint. Passing cases carry none: the starter prints a line per connection, and
// a report of a clean run should not repeat them 75 times.
//
// The lines must be the case's own (issue 22: a hint quoted another connection's error). Two rules
// make them so: the window opens only once the server has settled from the previous case (its
// closed connections' threads have printed their last lines), and a line naming a client is kept
// only when that client is one of the case's, as the server sees it (behind the grader's relay the
// server sees the relay's ports, which the relay reports). When that cannot be told, every line is
// shown, saying so, and none that names a client may choose the hint.

const MAX_LINES = 60;
/** A traceback is written in a few pieces; give the last ones a moment to arrive, never long. */
const SETTLE_STEP_MS = 40;
const SETTLE_MAX_MS = 240;
/** The most of the server's own time the window waits for the previous case's threads to finish. */
const QUIET_MAX_MS = 300;
/** After a wait that did not settle (a thread spinning for good?), the next cases wait this little. */
const QUIET_RETRY_MS = 60;
export const UNATTRIBUTED_NOTE =
  "(kit: which connection printed each line below could not be told; these are all the server's lines while the case ran)";

async function settle(instance: TargetInstance): Promise<void> {
  if (!instance.lastOutputAt) return;
  const until = performance.now() + SETTLE_MAX_MS;
  do await sleep(SETTLE_STEP_MS);
  while (performance.now() - (instance.lastOutputAt() ?? -Infinity) < SETTLE_STEP_MS && performance.now() < until);
}

export interface EvidenceWindow {
  from: number;
  /**
   * Whether the server was quiet when the window opened: every thread blocked on input. Only then
   * does a line that names no client (a traceback, "Error saving image: ...") belong to this case.
   */
  settled: boolean;
}

/**
 * Instances whose last wait did not settle: a thread that spins for good would cost every case the
 * whole wait, so they get a short one until they settle again (a busy moment passes).
 */
const restless = new WeakSet<TargetInstance>();

/**
 * Opens a case's window once the server has done all it will with the previous case: its threads
 * all blocked on input, no CPU used (own-time.ts's quiet), so what a closed connection's thread
 * prints late falls before the window. Bounded in the server's own time (a starved server is waited
 * for, up to ten times as long on the clock), and it charges nothing: it is the kit's care.
 */
export async function openEvidenceWindow(instance: TargetInstance): Promise<EvidenceWindow> {
  const progress = instance.progress;
  if (!instance.outputBetween || !progress) return { from: performance.now(), settled: false };
  const threads = await progress.threads().catch(() => undefined);
  // Threads that cannot be watched (not Linux) never look quiet: no wait at all.
  if (threads === undefined) return { from: performance.now(), settled: false };
  // A server that is gone prints nothing more.
  if (threads.length === 0) return { from: performance.now(), settled: true };
  const settled = await waitUntilQuiet(progress, restless.has(instance) ? QUIET_RETRY_MS : QUIET_MAX_MS, 10);
  if (settled) restless.delete(instance);
  else restless.add(instance);
  return { from: performance.now(), settled };
}

// "('127.0.0.1', 43250)" as server.py prints a client, or "127.0.0.1:43250".
const CLIENT_ADDRESS = /\(\s*'[^']*',\s*(\d+)\s*\)|\b\d{1,3}(?:\.\d{1,3}){3}:(\d+)/g;

export interface CaseEvidence {
  /** What the report shows as the server's output for the case. */
  shown: string[];
  /** The lines that may explain the failure (choose the hint): provably the case's own. */
  cause: string[];
  /** Some line names a client, and whether it is one of the case's could not be told. */
  unattributed: boolean;
}

/**
 * The case's lines among those its window holds. `ownPorts`: the client ports the server sees for
 * the case's connections, undefined when they cannot be told. `serverPort`: the port the server
 * listens on, which a line may name without naming a client.
 */
export function caseEvidence(lines: readonly string[], ownPorts: ReadonlySet<number> | undefined, options: { settled: boolean; serverPort?: number }): CaseEvidence {
  const portsOf = (line: string) => [...line.matchAll(CLIENT_ADDRESS)].map((m) => Number(m[1] ?? m[2])).filter((p) => p !== options.serverPort);
  const named = lines.map((text) => ({ text, ports: portsOf(text) }));
  const unnamed = named.filter((l) => l.ports.length === 0).map((l) => l.text);
  const anonymous = options.settled ? unnamed : [];
  if (!ownPorts) return { shown: [...lines], cause: anonymous, unattributed: named.some((l) => l.ports.length > 0) };
  const mine = (l: { ports: number[] }) => l.ports.some((p) => ownPorts.has(p));
  const shown = named.filter((l) => l.ports.length === 0 || mine(l)).map((l) => l.text);
  const cause = named.filter((l) => (l.ports.length === 0 ? options.settled : mine(l))).map((l) => l.text);
  return { shown, cause, unattributed: false };
}

/** A line naming another client belongs to another case; see caseEvidence. */
export function ownLines(lines: readonly string[], clientPorts: ReadonlySet<number>): string[] {
  return caseEvidence(lines, clientPorts, { settled: true }).shown;
}

/** The ports the server sees for the case's connections; undefined when one of them cannot be told. */
function serverSidePorts(instance: TargetInstance, clientPorts: ReadonlySet<number>): Set<number> | undefined {
  if (!instance.serverSidePort) return new Set(clientPorts);
  const seen = new Set<number>();
  for (const port of clientPorts) {
    const inside = instance.serverSidePort(port);
    if (inside === undefined) return undefined;
    seen.add(inside);
  }
  return seen;
}

export async function withServerEvidence(
  result: CaseResult,
  instance: TargetInstance,
  window: EvidenceWindow & { clientPorts: ReadonlySet<number> },
): Promise<CaseResult> {
  if (result.verdict === 'PASSED' || result.verdict === 'SKIPPED' || !instance.outputBetween) return result;
  await settle(instance);
  const lines = instance.outputBetween(window.from, performance.now());
  const { shown, cause, unattributed } = caseEvidence(lines, serverSidePorts(instance, window.clientPorts), { settled: window.settled, serverPort: instance.port });
  if (!shown.length) return result;
  const kept = shown.length > MAX_LINES ? [`… ${shown.length - MAX_LINES} earlier line(s) left out`, ...shown.slice(-MAX_LINES)] : shown;
  const serverOutput = unattributed ? [UNATTRIBUTED_NOTE, ...kept] : kept;
  const hint = evidenceHint(cause, result.hint);
  return { ...result, serverOutput, ...(hint ? { hint } : {}) };
}
