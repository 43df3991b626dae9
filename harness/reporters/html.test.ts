import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REQUIREMENTS, requirement } from '../../spec/requirements.ts';
import { RunReport } from '../runner/report-format.ts';
import { runSuite } from '../runner/run-suite.ts';
import { loadScenarios, parseScenarioFile } from '../scenarios/loader.ts';
import { referenceTarget } from '../targets/reference-target.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { writeReports } from './write-reports.ts';
import { launchChromium } from '../testing/chromium.ts';

// The reports of one real run (reference server, a few real cases plus one that must fail), checked
// as their readers see them: the HTML in headless Chromium, JUnit/Markdown/JSON by their shape.

const FAILING = parseScenarioFile(
  `# yaml-language-server: $schema=../../schemas/scenario.schema.json
group: 2
title: Connect and log in
scenarios:
  - id: 2.9.1
    title: A case written to fail <script>alert(1)</script>
    tasks: [2]
    requirements: [AUTH-1]
    level: MUST
    hint: "Compare the reply text <exactly>"
    clients: {a: {}}
    steps:
      - send: {action: login, username: user1, password: "123"}
        expect: {status: success, message: "Welcome & hello"}
`,
  'inline.yaml',
);

let dir: string;
let report: RunReport;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'instanet-html-'));
  const shipped = (await loadScenarios()).filter((s) => ['2.1.1', '5.1.1', '5.3.1', '7.5.1'].includes(s.id));
  report = await runSuite({ target: referenceTarget(), scenarios: [...shipped, ...FAILING] });
  await writeReports(report, dir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('report.html in Chromium', () => {
  test('loads without console errors, with the matrix and every case', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) errors.push(`network request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(path.join(dir, 'report.html')).href);
    await page.waitForLoadState('load');
    expect(errors).toEqual([]);
    expect(await page.locator('.matrix a.cell').count()).toBe(report.cases.length);
    expect(await page.locator('details.case').count()).toBe(report.cases.length);
    // Escaped, not executed: the title is shown as text.
    expect(await page.locator('#case-2\\.9\\.1 > summary').innerText()).toContain('<script>alert(1)</script>');
    await page.close();
  });

  test('a failing case is open with expected vs actual, its hint and its transcript', async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(path.join(dir, 'report.html')).href);
    const failing = page.locator('#case-2\\.9\\.1');
    expect(await failing.getAttribute('open')).not.toBeNull();
    expect(await failing.locator('.side .exp').innerText()).toContain('Welcome & hello');
    expect(await failing.locator('.side .act').innerText()).toContain('Login successful');
    expect(await failing.locator('.hint').innerText()).toContain('Compare the reply text <exactly>');
    // The transcript is one click away, so it does not push the next failure off the screen.
    await failing.locator('details.transcript > summary').click();
    const transcript = failing.locator('table.transcript');
    expect(await transcript.isVisible()).toBe(true);
    expect(await transcript.innerText()).toContain('"action": "login"');
    expect(await transcript.innerText()).toContain('client → server');
    await page.close();
  });

  test('a passing case expands to its transcript on click, and the matrix links open cases', async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(path.join(dir, 'report.html')).href);
    const upload = page.locator('#case-5\\.1\\.1');
    expect(await upload.getAttribute('open')).toBeNull();
    expect(await upload.locator('table.transcript').isVisible()).toBe(false);
    await upload.locator('> summary').click();
    await upload.locator('details.transcript > summary').click();
    const table = upload.locator('table.transcript');
    expect(await table.isVisible()).toBe(true);
    expect(await table.innerText()).toMatch(/image: 600 bytes/);
    expect(await table.innerText()).toMatch(/length header: 600 bytes announced/);
    await page.locator('.matrix a.cell', { hasText: '7.5.1' }).click();
    // hashchange runs after the click returns: wait for it (bounded), then check.
    await page.waitForFunction("document.getElementById('case-7.5.1').hasAttribute('open')", undefined, { timeout: 10_000 }).catch(() => undefined);
    expect(await page.locator('#case-7\\.5\\.1').getAttribute('open')).not.toBeNull();
    await page.locator('.filters button[data-filter="FAILED"]').click();
    expect(await page.locator('details.case:not(.hidden)').count()).toBe(1);
    await page.close();
  });

  test('the Requirements table follows each ID to its cases, and each case back to its IDs', async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(path.join(dir, 'report.html')).href);
    expect(await page.locator('table.reqtable tbody tr').count()).toBe(REQUIREMENTS.length);
    // AUTH-1 is cited by the passing 2.1.1 and the failing 2.9.1: the failure wins.
    const auth1 = page.locator('#req-AUTH-1');
    expect(await auth1.getAttribute('data-status')).toBe('not-met');
    // The roll-up comes after the failures, collapsed; a click opens it.
    expect(await auth1.isVisible()).toBe(false);
    await page.locator('details.reqs-rollup > summary').click();
    expect(await auth1.innerText()).toContain(requirement('AUTH-1').text);
    await auth1.locator('a.cell', { hasText: '2.1.1' }).click();
    // The link opens the case from a hashchange handler: asked until it has run (bounded by poll).
    await expect.poll(() => page.locator('#case-2\\.1\\.1').getAttribute('open'), { timeout: 10_000 }).not.toBeNull();
    await page.locator('details.reqs-rollup > summary').click();
    await page.locator('#case-2\\.1\\.1 .req a', { hasText: 'AUTH-1' }).click();
    expect(new URL(page.url()).hash).toBe('#req-AUTH-1');
    // Following a requirement link opens the collapsed roll-up at that row.
    expect(await auth1.isVisible()).toBe(true);
    // CLNT-1 is checked by no scenario of this run's catalogue.
    expect(await page.locator('#req-CLNT-1').getAttribute('data-status')).toBe('no-scenario');
    await page.close();
  });
});

describe('the other reports', () => {
  test('report.json parses against its schema; JUnit and Markdown carry the failure', async () => {
    const json = JSON.parse(await readFile(path.join(dir, 'report.json'), 'utf8')) as unknown;
    expect(RunReport.parse(json).cases).toHaveLength(report.cases.length);
    const junit = renderJunit(report);
    expect(junit).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
    expect(junit.match(/<testsuite /g)).toHaveLength(3); // one per group: 2 (with the inline case), 5, 7
    expect(junit).toContain('<failure message="step 1 (a: login): expected');
    expect(junit).toContain('&lt;script&gt;');
    expect(junit).not.toContain('<script>');
    const md = renderMarkdown(report);
    expect(md).toMatch(/^## InstaNet conformance: ❌ FAIL: 1 MUST case\(s\) failed/);
    expect(md).toContain('#### ❌ 2.9.1');
    expect(md).toContain('> 💡 Compare the reply text <exactly>');
    // Compact traceability: one row per requirement, what is not met first.
    expect(md).toMatch(/<details><summary>Requirements: \d+ of \d+ requirements exercised, 1 not met/);
    expect(md).toMatch(/\| AUTH-1 \| MUST \| ❌ not met \| 2\.1\.1 ✅, 2\.9\.1 ❌ \|/);
  });

  test('a case judged twice (the second look) says so, with its first verdict, in the HTML and the Markdown', () => {
    const judged: RunReport = {
      ...report,
      cases: report.cases.map((c) => (c.id === '2.1.1' ? { ...c, firstRun: { verdict: 'FAILED', reason: 'no reply within 3000 ms <late>' } } : c)),
    };
    const html = renderHtml(judged);
    expect(html).toContain('Judged twice: the first run gave FAILED (no reply within 3000 ms &lt;late&gt;)');
    expect(renderHtml(report)).not.toContain('Judged twice');
    expect(renderMarkdown(judged)).toMatch(/\| 2\.1\.1 \|.*✅ PASSED \(judged twice: first FAILED\) \|/);
  });
});
