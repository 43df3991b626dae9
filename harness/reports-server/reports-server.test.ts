import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReportsServer, type RunningReportsServer } from './reports-server.ts';
import { launchChromium } from '../testing/chromium.ts';

const GOLDEN = fileURLToPath(new URL('../../fixtures/transcripts/', import.meta.url));

let base: string;
let root: string;
let server: RunningReportsServer;
let raw: Client;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'instanet-reports-test-'));
  root = join(base, 'reports');
  await mkdir(join(root, 'run-2026-01-15', 'transcripts'), { recursive: true });
  await mkdir(join(root, 'grade-2026-01-15', 'students', 'alice'), { recursive: true });
  await writeFile(join(root, 'run-2026-01-15', 'report.json'), JSON.stringify({ verdicts: { PASSED: 3 } }));
  const events = (await readFile(join(GOLDEN, 'login.jsonl'), 'utf8')).trim().split('\n').slice(1).map((l) => JSON.parse(l) as unknown);
  await writeFile(
    join(root, 'run-2026-01-15', 'cases.report.json'),
    JSON.stringify({ kit: '0.1.0', startedAt: '2026-01-15T10:00:00Z', target: 'x', cases: [{ id: '2.1.1', title: 'login <ok>', verdict: 'PASSED', transcript: events }, { id: '2.1.2', verdict: 'SKIPPED', transcript: [] }] }),
  );
  await writeFile(join(root, 'run-2026-01-15', 'junit.xml'), '<testsuites/>');
  await copyFile(join(GOLDEN, 'image-dm.jsonl'), join(root, 'run-2026-01-15', 'transcripts', 'image-dm.jsonl'));
  await writeFile(join(root, 'run-2026-01-15', 'transcripts', 'broken.jsonl'), 'not a transcript\n');
  await writeFile(join(root, 'grade-2026-01-15', 'gradebook.csv'), 'student,score\nalice,90\n');
  await writeFile(join(root, 'grade-2026-01-15', 'students', 'alice', 'index.html'), '<!doctype html><title>alice</title><h1>Alice: 90</h1>');
  await writeFile(join(root, 'name with space & <tag>.md'), '# notes\n');
  await writeFile(join(base, 'secret.txt'), 'TOP-SECRET-CONTENT');
  await symlink(join(base, 'secret.txt'), join(root, 'link-out.txt'));
  await symlink(base, join(root, 'dir-link-out'));
  await symlink(join(root, 'run-2026-01-15', 'report.json'), join(root, 'link-in.json'));
  server = await startReportsServer({ dir: root, port: 0 });
  raw = new Client(server.url.replace(/\/$/, ''));
});

afterAll(async () => {
  await raw?.close();
  await server?.close();
  await rm(base, { recursive: true, force: true });
});

/** Sends the path exactly as written (no URL normalisation), the way a probing client would. */
async function get(path: string, method: 'GET' | 'HEAD' | 'POST' = 'GET') {
  const res = await raw.request({ path, method });
  const body = await res.body.text();
  return { status: res.statusCode, type: String(res.headers['content-type'] ?? ''), headers: res.headers, body };
}

describe('reports serve', () => {
  it('serves the index of the folder as HTML, folders first, with kinds', async () => {
    const res = await request(server.url);
    const body = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(body).toContain('href="/grade-2026-01-15/"');
    expect(body).toContain('href="/run-2026-01-15/"');
    expect(body).toContain('href="/name%20with%20space%20%26%20%3Ctag%3E.md"');
    expect(body).toContain('name with space &amp; &lt;tag&gt;.md');
    expect(body.indexOf('grade-2026-01-15/')).toBeLessThan(body.indexOf('link-in.json'));
    expect(body).not.toContain('link-out.txt');
    expect(body).not.toContain('dir-link-out');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('serves files with their content types, transcripts rendered, folders redirected to their slash', async () => {
    expect(await get('/run-2026-01-15/report.json')).toMatchObject({ status: 200, type: 'application/json; charset=utf-8', body: '{"verdicts":{"PASSED":3}}' });
    expect(await get('/run-2026-01-15/junit.xml')).toMatchObject({ status: 200, type: 'application/xml; charset=utf-8' });
    expect(await get('/grade-2026-01-15/gradebook.csv')).toMatchObject({ status: 200, type: 'text/csv; charset=utf-8' });
    const page = await get('/run-2026-01-15/transcripts/image-dm.jsonl');
    expect(page).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(page.body).toContain('class="arrow c2s"');
    expect((await get('/run-2026-01-15/transcripts/image-dm.jsonl?raw')).type).toBe('application/jsonl; charset=utf-8');
    const broken = await get('/run-2026-01-15/transcripts/broken.jsonl');
    expect(broken.status).toBe(422);
    expect(broken.body).toContain('line 1: not JSON');
    expect(await get('/grade-2026-01-15/students/alice/')).toMatchObject({ status: 200, body: expect.stringContaining('Alice: 90') });
    expect((await get('/grade-2026-01-15/students/alice/?list')).body).toContain('href="/grade-2026-01-15/students/alice/index.html"');
    const redirect = await get('/grade-2026-01-15');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/grade-2026-01-15/');
    expect(await get('/link-in.json')).toMatchObject({ status: 200, body: '{"verdicts":{"PASSED":3}}' });
    expect(await get('/nope.json')).toMatchObject({ status: 404 });
    expect(await get('/run-2026-01-15/report.json', 'HEAD')).toMatchObject({ status: 200, body: '' });
    expect(await get('/', 'POST')).toMatchObject({ status: 405 });
  });

  it('lists the case transcripts of a run report and renders one', async () => {
    const listing = await get('/run-2026-01-15/');
    expect(listing.body).toContain('href="/run-2026-01-15/cases.report.json?cases"');
    const cases = await get('/run-2026-01-15/cases.report.json?cases');
    expect(cases.status).toBe(200);
    expect(cases.body).toContain('href="/run-2026-01-15/cases.report.json?case=2.1.1"');
    expect(cases.body).toContain('login &lt;ok&gt;');
    expect(cases.body).not.toContain('2.1.2');
    const one = await get('/run-2026-01-15/cases.report.json?case=2.1.1');
    expect(one.status).toBe(200);
    expect(one.body).toContain('Transcript of case 2.1.1');
    expect(one.body).toContain('Invalid credentials');
    expect((await get('/run-2026-01-15/cases.report.json?case=9.9.9')).status).toBe(404);
    expect((await get('/run-2026-01-15/junit.xml?cases')).status).toBe(200);
    expect((await get('/run-2026-01-15/report.json?cases')).status).toBe(422);
  });

  it.each([
    '/../secret.txt',
    '/run-2026-01-15/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/run-2026-01-15/%2E%2E/%2E%2E/secret.txt',
    '/..%5csecret.txt',
    '/link-out.txt',
    '/dir-link-out/secret.txt',
  ])('refuses %s', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(403);
    expect(res.body).not.toContain('TOP-SECRET-CONTENT');
  });

  it('rejects malformed paths without crashing', async () => {
    expect((await get('/%E0%A4%A')).status).toBe(400);
    expect((await get('/a%00b')).status).toBe(400);
    expect((await get('/%252e%252e/secret.txt')).status).toBe(404);
    expect((await get('/')).status).toBe(200);
  });

  it('renders the index in a real browser', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
      await page.goto(server.url, { timeout: 15_000 });
      expect(await page.title()).toBe('InstaNet reports');
      await expect(page.locator('h1').textContent()).resolves.toBe('InstaNet reports: reports');
      const rows = await page.locator('tbody tr').count();
      expect(rows).toBe(4);
      const shot = await page.screenshot({ fullPage: true });
      expect(shot.subarray(1, 4).toString('latin1')).toBe('PNG');
      await page.click('text=run-2026-01-15/');
      await page.click('text=transcripts/');
      await page.click('text=image-dm.jsonl');
      await expect(page.locator('h1').textContent()).resolves.toBe('Transcript run-2026-01-15/transcripts/image-dm.jsonl');
      expect(await page.locator('img.preview').count()).toBe(1);
    } finally {
      await browser.close();
    }
  });
});
