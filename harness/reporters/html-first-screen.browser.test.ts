import { mkdir, rm, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runSuite } from '../runner/run-suite.ts';
import { spawnedTarget } from '../targets/spawned-target.ts';
import { writeReports } from './write-reports.ts';
import { launchChromium } from '../testing/chromium.ts';

// Issue 11, point 6: a student opening report.html sees the verdict and the failure with its
// evidence on the first screen, not 3000 px down below the 64-row requirements table.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VIEWPORT = { width: 1280, height: 800 };

let dir: string;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'instanet-first-screen-'));
  // A real student defect with a real server message: split UTF-8 decoded chunk by chunk.
  const report = await runSuite({
    target: spawnedTarget({ command: 'python3 server.py --port {port}', cwd: path.join(ROOT, 'fixtures/submissions/utf8-early-decode') }),
    cases: ['1.*', '2.*', '4.1.*', '4.2.*'],
  });
  expect(report.requirements?.length).toBeGreaterThan(60);
  expect(report.tally.FAILED).toBeGreaterThan(0);
  await writeReports(report, dir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('report.html, first screen at 1280x800', () => {
  test('shows the verdict and the first failure with expected, actual and what the server printed', async () => {
    const page = await browser.newPage({ viewport: VIEWPORT });
    try {
      await page.goto(pathToFileURL(path.join(dir, 'report.html')).href);
      await page.waitForLoadState('load');
      const shots = path.join(ROOT, 'reports', 'screenshots');
      await mkdir(shots, { recursive: true });
      await page.screenshot({ path: path.join(shots, 'report-first-screen.png') });

      const within = async (selector: string) => {
        const box = await page.locator(selector).first().boundingBox();
        expect(box, selector).not.toBeNull();
        return box !== null && box.y >= 0 && box.y + Math.min(box.height, 40) <= VIEWPORT.height;
      };
      expect(await within('.outcome.bad')).toBe(true);
      const first = '.failures details.case[data-verdict="FAILED"]';
      expect(await page.locator(first).first().getAttribute('open')).not.toBeNull();
      expect(await within(`${first} > summary`)).toBe(true);
      expect(await within(`${first} .side .act`)).toBe(true);
      expect(await within(`${first} .side .srv`)).toBe(true);
      expect(await page.locator(`${first} .side .srv`).first().innerText()).toContain("codec can't decode byte");
      // The requirement roll-up is there, after the cases and collapsed.
      expect(await page.locator('details.reqs-rollup').getAttribute('open')).toBeNull();
      expect(await page.locator('table.reqtable').isVisible()).toBe(false);
    } finally {
      await page.close();
    }
  });
});
