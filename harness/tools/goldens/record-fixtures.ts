import { mkdir, readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { COURSE_FLOWS } from './course-flows.ts';
import type { Transcript } from '../../transcript/format.ts';
import { recordFlow } from './record-flow.ts';
import { toJsonl, writeTranscriptFile } from '../../transcript/recorder.ts';
import { parseTranscript } from '../../transcript/read.ts';
import { replayTranscript } from '../../transcript/replay.ts';
import { recordScenarioGoldens } from './scenario-goldens.ts';
import { freshServer } from '../../transcript/test-support.ts';

// `npm run fixtures:record [flows|scenarios]`: regenerates the golden transcripts from the reference
// server: fixtures/transcripts/<flow>.jsonl, one per course flow recorded through the proxy, and
// fixtures/transcripts/scenarios/<first case>-<group>.jsonl, the harness's per-case transcripts of
// every conformance scenario joined per server instance. Each is replayed against a fresh server
// before it is written, so a golden that would not replay is never committed. Review the diff: a
// change in a golden transcript is a change in what the reference server puts on the wire.

export const GOLDEN_DIR = fileURLToPath(new URL('../../../fixtures/transcripts/', import.meta.url));
export const SCENARIO_GOLDEN_DIR = join(GOLDEN_DIR, 'scenarios');
const IMAGES_DIR = fileURLToPath(new URL('../../../fixtures/images/', import.meta.url));

async function checkReplays(name: string, transcript: Transcript): Promise<void> {
  const ref = await freshServer();
  try {
    const result = await replayTranscript(parseTranscript(toJsonl(transcript), name), {
      host: '127.0.0.1',
      port: ref.server.port,
      imageDirs: [IMAGES_DIR],
    });
    if (!result.ok) {
      const first = result.divergences[0];
      throw new Error(`${name} does not replay against a fresh reference server: ${first?.reason ?? result.stoppedAt?.waitingFor}\n${first?.diff ?? ''}`);
    }
  } finally {
    await ref.close();
  }
}

async function recordFlows(): Promise<void> {
  await mkdir(GOLDEN_DIR, { recursive: true });
  for (const flow of COURSE_FLOWS) {
    const transcript = await recordFlow(flow);
    await checkReplays(flow.name, transcript);
    const file = join(GOLDEN_DIR, `${flow.name}.jsonl`);
    await writeTranscriptFile(file, transcript);
    process.stdout.write(`recorded flow ${flow.name}: ${transcript.events.length} events -> ${file}\n`);
  }
}

async function recordScenarios(): Promise<void> {
  const { report, goldens } = await recordScenarioGoldens();
  const bad = report.cases.filter((c) => c.verdict !== 'PASSED' && c.verdict !== 'SKIPPED');
  if (bad.length > 0) {
    throw new Error(`the reference server does not pass every case (${bad.map((c) => `${c.id} ${c.verdict}`).join(', ')}); fix that before recording goldens`);
  }
  for (const golden of goldens) await checkReplays(golden.name, golden.transcript);
  // Replace the whole folder: a scenario that was renamed or removed must not leave a stale golden.
  await mkdir(SCENARIO_GOLDEN_DIR, { recursive: true });
  for (const old of await readdir(SCENARIO_GOLDEN_DIR)) if (old.endsWith('.jsonl')) await rm(join(SCENARIO_GOLDEN_DIR, old));
  for (const golden of goldens) {
    const file = join(SCENARIO_GOLDEN_DIR, `${golden.name}.jsonl`);
    await writeTranscriptFile(file, golden.transcript);
    process.stdout.write(`recorded scenarios ${golden.cases[0]}..${golden.cases[golden.cases.length - 1]}: ${golden.transcript.events.length} events -> ${file}\n`);
  }
}

async function main(what: string[]): Promise<void> {
  const known = ['flows', 'scenarios'];
  const unknown = what.filter((w) => !known.includes(w));
  if (unknown.length > 0) {
    process.stderr.write(`fixtures:record: unknown part(s) ${unknown.join(', ')}; choose from ${known.join(', ')} (default both)\n`);
    process.exitCode = 2;
    return;
  }
  const parts = what.length > 0 ? what : known;
  if (parts.includes('flows')) await recordFlows();
  if (parts.includes('scenarios')) await recordScenarios();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`fixtures:record: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
