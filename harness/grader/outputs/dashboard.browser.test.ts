import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardHtml } from './dashboard.ts';
import { studentReportHtml } from './student-report.ts';
import { makeGrade } from './test-grades.ts';
import { launchChromium } from '../../testing/chromium.ts';

// The class dashboard and a student report in real headless Chromium: they load offline without
// console errors, the table sorts on a click, and a failed case opens to its hint.

let browser: Browser;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'grader-browser-'));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('grader HTML in Chromium', () => {
  it('sorts the gradebook by total and shows the distribution and common failures', async () => {
    const columns = [
      { id: 'task1', title: 'Task 1: Friends', points: 10 },
      { id: 'task2', title: 'Task 2: Images', points: 20 },
    ];
    const grades = [makeGrade('bob', [10, 5]), makeGrade('amy', [0, 20]), makeGrade('cat', [10, 20]), makeGrade('dan', [0, 0], { status: 'crashed', detail: 'x' })];
    const file = path.join(tmp, 'index.html');
    await writeFile(file, dashboardHtml('Test course', columns, grades));
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => !r.url().startsWith('file:') && errors.push(`network request: ${r.url()}`));
    await page.goto(pathToFileURL(file).href);
    const names = () => page.$$eval('#gradebook tbody tr', (rows) => rows.map((r) => r.querySelector("td")?.textContent?.trim()));
    expect(await names()).toEqual(['amy', 'bob', 'cat', 'dan']);
    await page.click('#gradebook th:nth-child(4)');
    expect(await names()).toEqual(['dan', 'bob', 'amy', 'cat']);
    await page.click('#gradebook th:nth-child(4)');
    expect(await names()).toEqual(['cat', 'amy', 'bob', 'dan']);
    // Ten bins of ten points below full marks, and full marks in a bin of its own.
    expect(await page.locator('svg[aria-label="score distribution"] rect').count()).toBe(11);
    expect(await page.textContent('main')).toContain('Keep reading until the whole message arrived.');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('opens a failed case of a student report to its expected, actual and hint', async () => {
    const file = path.join(tmp, 'report.html');
    await writeFile(file, studentReportHtml(makeGrade('amy', [0, 20])));
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href);
    const hint = page.locator('details.case .hint').first();
    expect(await hint.isVisible()).toBe(false);
    await page.locator('details.case summary').first().click();
    expect(await hint.isVisible()).toBe(true);
    expect(await hint.textContent()).toContain('Keep reading');
    expect(errors).toEqual([]);
    await page.close();
  });
});
