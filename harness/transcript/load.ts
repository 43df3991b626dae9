import { readFile, stat } from 'node:fs/promises';
import { TranscriptError } from './errors.ts';
import type { Transcript } from './format.ts';
import { TRANSCRIPT_FORMAT_VERSION } from './format.ts';
import { parseTranscript, readTranscript } from './read.ts';

// Transcripts live in two places: .jsonl files (proxy, fixtures, `--record`) and inside a run's
// report.json, one per case (harness/runner). `FILE#CASE` names the second kind, so every
// transcript command works on a case of a run as well: `transcript show reports/run/report.json#2.1.3`.

interface ReportCase {
  id?: unknown;
  title?: unknown;
  verdict?: unknown;
  transcript?: unknown;
}

interface ReportLike {
  kit?: unknown;
  startedAt?: unknown;
  target?: unknown;
  cases?: unknown;
}

export interface CaseTranscriptInfo {
  id: string;
  title: string;
  verdict: string;
  events: number;
}

async function readReport(file: string): Promise<ReportLike> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TranscriptError('INSTANET_ERR_TRANSCRIPT_UNREADABLE', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const value = JSON.parse(text) as ReportLike;
    if (!Array.isArray(value.cases)) throw new Error('no "cases" list');
    return value;
  } catch (error) {
    throw new TranscriptError('INSTANET_ERR_NOT_A_REPORT', `${file} is not a run report (report.json): ${(error as Error).message}`, { cause: error });
  }
}

/** The cases of a run report that carry a transcript. */
export async function listCaseTranscripts(file: string): Promise<CaseTranscriptInfo[]> {
  const report = await readReport(file);
  return (report.cases as ReportCase[])
    .filter((c) => typeof c.id === 'string' && Array.isArray(c.transcript) && c.transcript.length > 0)
    .map((c) => ({ id: c.id as string, title: String(c.title ?? ''), verdict: String(c.verdict ?? ''), events: (c.transcript as unknown[]).length }));
}

/** One case's transcript from a run report, validated like a .jsonl file. */
export async function readCaseTranscript(file: string, caseId: string): Promise<Transcript> {
  const report = await readReport(file);
  const found = (report.cases as ReportCase[]).find((c) => c.id === caseId);
  if (!found) {
    const ids = (report.cases as ReportCase[]).map((c) => String(c.id)).slice(0, 30);
    throw new TranscriptError('INSTANET_ERR_NO_SUCH_CASE', `${file} has no case ${caseId}; cases: ${ids.join(', ')}${ids.length === 30 ? ', ...' : ''}`);
  }
  const header = {
    type: 'header',
    format: TRANSCRIPT_FORMAT_VERSION,
    kit: String(report.kit ?? 'unknown'),
    recordedAt: String(report.startedAt ?? new Date(0).toISOString()),
    source: `case ${caseId}`,
    title: `${caseId} ${String(found.title ?? '')}`.trim(),
    ...(typeof report.target === 'string' ? { target: report.target } : {}),
  };
  const events = Array.isArray(found.transcript) ? found.transcript : [];
  const text = [header, ...events].map((line) => JSON.stringify(line)).join('\n');
  return parseTranscript(text, `${file}#${caseId}`);
}

/** A .jsonl transcript, or `report.json#CASE` for a case of a run. */
export async function loadTranscript(spec: string): Promise<Transcript> {
  const hash = spec.lastIndexOf('#');
  if (hash > 0) {
    const exists = await stat(spec).then(() => true, () => false);
    if (!exists) return readCaseTranscript(spec.slice(0, hash), spec.slice(hash + 1));
  }
  return readTranscript(spec);
}
