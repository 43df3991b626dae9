import path from 'node:path';
import type { RunReport } from '../runner/report-format.ts';
import { renderHtml } from './html.ts';
import { renderJson, writeFileAtomic } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';

export const REPORT_FILES = ['report.json', 'junit.xml', 'summary.md', 'report.html'] as const;

/** Writes reports/<run>/{report.json, junit.xml, summary.md, report.html}; returns the paths. */
export async function writeReports(report: RunReport, dir: string): Promise<Record<(typeof REPORT_FILES)[number], string>> {
  const files = {
    'report.json': path.join(dir, 'report.json'),
    'junit.xml': path.join(dir, 'junit.xml'),
    'summary.md': path.join(dir, 'summary.md'),
    'report.html': path.join(dir, 'report.html'),
  };
  await writeFileAtomic(files['report.json'], renderJson(report));
  await writeFileAtomic(files['junit.xml'], renderJunit(report));
  await writeFileAtomic(files['summary.md'], renderMarkdown(report));
  await writeFileAtomic(files['report.html'], renderHtml(report));
  return files;
}
