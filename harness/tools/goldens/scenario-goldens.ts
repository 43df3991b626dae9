import { KIT_VERSION } from '../../base/kit-version.ts';
import { runSuite } from '../../runner/run-suite.ts';
import type { RunReport } from '../../runner/report-format.ts';
import { loadScenarios } from '../../scenarios/index.ts';
import type { Step } from '../../scenarios/format.ts';
import { referenceTarget } from '../../targets/index.ts';
import { TRANSCRIPT_FORMAT_VERSION, type Transcript, type TranscriptEvent } from '../../transcript/format.ts';

// Golden transcripts of the conformance scenarios: the harness runs every case against the
// reference server and keeps each case's transcript; the cases that shared one server instance
// (a scenario group builds up state case after case) are joined into one transcript, so it replays
// on a fresh server exactly as it ran. Connection ids become "<case>/<client>" and each case opens
// with a note naming it.

export interface ScenarioGolden {
  /** File name without extension, e.g. "3.1.1-friend-requests". */
  name: string;
  cases: string[];
  transcript: Transcript;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
}

/**
 * A case whose transcript is larger than this is left out of its golden (with a note saying so): a
 * get_feed of 2 MiB photos answers with megabytes of base64 that a fixture must not carry. Leaving a
 * case out is safe only when later cases do not depend on it; record-fixtures replays every golden
 * before writing it, so a golden that lost state it needed is never written.
 */
export const MAX_CASE_TRANSCRIPT_CHARS = 256 * 1024;

function hasConcurrentStep(steps: readonly Step[]): boolean {
  return steps.some((step) => step.concurrent !== undefined || hasConcurrentStep(step.parallel ?? []) || hasConcurrentStep(step.steps ?? []));
}

/**
 * Cases whose clients write at the same time (`concurrent` steps): the order in which the server
 * stores their writes is theirs to choose, so a replay cannot be held to the recorded order. The
 * harness checks these cases live; their goldens would only flake.
 */
export async function concurrentCaseIds(): Promise<Set<string>> {
  const scenarios = await loadScenarios();
  return new Set(scenarios.filter((s) => hasConcurrentStep(s.steps)).map((s) => s.id));
}

/** Joins the per-case transcripts of one server instance into one transcript. */
export function joinInstance(
  report: RunReport,
  instanceIndex: number,
  maxCaseChars = MAX_CASE_TRANSCRIPT_CHARS,
  leaveOut: ReadonlySet<string> = new Set(),
): ScenarioGolden | undefined {
  const instance = report.instances[instanceIndex];
  if (!instance) return undefined;
  const cases = report.cases.filter((c) => instance.cases.includes(c.id) && c.transcript.length > 0);
  if (cases.length === 0) return undefined;
  const events: TranscriptEvent[] = [];
  const kept: string[] = [];
  let offset = 0;
  for (const c of cases) {
    if (leaveOut.has(c.id)) {
      events.push({ type: 'event', t: offset, conn: c.id, kind: 'note', note: `case ${c.id} left out: its clients write concurrently, so the stored order is not reproducible` });
      continue;
    }
    if (c.transcript.some((e) => e.kind === 'raw' && e.length !== undefined)) {
      // The case transcript kept only a prefix of these bytes (an oversize request): nothing to replay.
      events.push({ type: 'event', t: offset, conn: c.id, kind: 'note', note: `case ${c.id} left out: its transcript keeps only a prefix of the bytes sent` });
      continue;
    }
    const size = JSON.stringify(c.transcript).length;
    if (size > maxCaseChars) {
      events.push({ type: 'event', t: offset, conn: c.id, kind: 'note', note: `case ${c.id} left out: its transcript is ${(size / 1024 / 1024).toFixed(1)} MiB` });
      continue;
    }
    kept.push(c.id);
    const start = offset;
    events.push({ type: 'event', t: start, conn: c.id, kind: 'note', note: `case ${c.id}: ${c.title} (${c.verdict})`, requirements: c.requirements });
    let last = start;
    for (const e of c.transcript) {
      const t = Math.round((start + e.t) * 1000) / 1000;
      last = Math.max(last, t);
      events.push({ ...e, conn: `${c.id}/${e.conn}`, t: Math.max(t, events[events.length - 1]!.t) });
    }
    offset = Math.round((last + 1) * 1000) / 1000;
  }
  if (kept.length === 0) return undefined;
  const first = cases[0]!;
  const name = `${first.id}-${slug(first.groupTitle)}`;
  return {
    name,
    cases: kept,
    transcript: {
      header: {
        type: 'header',
        format: TRANSCRIPT_FORMAT_VERSION,
        kit: KIT_VERSION,
        recordedAt: report.startedAt,
        source: `scenarios ${kept.join(' ')}`,
        title: `${first.groupTitle}: cases ${cases[0]!.id} to ${cases[cases.length - 1]!.id}`,
        target: report.target,
      },
      events,
    },
  };
}

export interface RecordScenarioOptions {
  cases?: string[];
  exclude?: string[];
}

export async function recordScenarioGoldens(options: RecordScenarioOptions = {}): Promise<{ report: RunReport; goldens: ScenarioGolden[] }> {
  const report = await runSuite({
    target: referenceTarget({ mode: 'strict' }),
    ...(options.cases ? { cases: options.cases } : {}),
    ...(options.exclude ? { exclude: options.exclude } : {}),
  });
  const goldens: ScenarioGolden[] = [];
  const leaveOut = await concurrentCaseIds();
  report.instances.forEach((_, index) => {
    const golden = joinInstance(report, index, MAX_CASE_TRANSCRIPT_CHARS, leaveOut);
    if (golden) goldens.push(golden);
  });
  return { report, goldens };
}
