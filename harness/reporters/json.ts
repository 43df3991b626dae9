import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunReport } from '../runner/report-format.ts';

export const renderJson = (report: RunReport) => `${JSON.stringify(report, null, 2)}\n`;

/** Writes atomically, so a CI step reading report.json never sees half of it. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
