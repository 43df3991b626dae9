import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCaseTranscripts, loadTranscript } from './load.ts';

let dir: string;
let report: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'instanet-load-test-'));
  const golden = fileURLToPath(new URL('../../fixtures/transcripts/image-dm.jsonl', import.meta.url));
  const events = (await readFile(golden, 'utf8')).trim().split('\n').slice(1).map((l) => JSON.parse(l) as unknown);
  report = join(dir, 'report.json');
  await writeFile(report, JSON.stringify({ kit: '0.1.0', startedAt: '2026-01-15T10:00:00Z', target: '127.0.0.1:5001', cases: [{ id: '5.1.2', title: 'image DM', verdict: 'PASSED', transcript: events }, { id: '5.1.3', verdict: 'FAILED', transcript: [{ type: 'event', t: 0, conn: 'a', kind: 'json' }] }] }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('transcripts inside a run report (report.json#CASE)', () => {
  it('loads a case transcript as a transcript of its own', async () => {
    const t = await loadTranscript(`${report}#5.1.2`);
    expect(t.header).toMatchObject({ source: 'case 5.1.2', title: '5.1.2 image DM', target: '127.0.0.1:5001', kit: '0.1.0' });
    expect(t.events.some((e) => e.kind === 'image-bytes')).toBe(true);
    expect(await listCaseTranscripts(report)).toEqual([
      { id: '5.1.2', title: 'image DM', verdict: 'PASSED', events: t.events.length },
      { id: '5.1.3', title: '', verdict: 'FAILED', events: 1 },
    ]);
  });

  it('says which case is missing or which event is invalid', async () => {
    await expect(loadTranscript(`${report}#9.9`)).rejects.toMatchObject({ code: 'INSTANET_ERR_NO_SUCH_CASE', message: expect.stringContaining('5.1.2, 5.1.3') });
    await expect(loadTranscript(`${report}#5.1.3`)).rejects.toMatchObject({ code: 'INSTANET_ERR_INVALID_TRANSCRIPT', message: expect.stringContaining('#5.1.3:2: a json event needs') });
    await expect(loadTranscript(`${join(dir, 'nope.json')}#1`)).rejects.toMatchObject({ code: 'INSTANET_ERR_TRANSCRIPT_UNREADABLE' });
  });
});
