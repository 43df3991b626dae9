import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { replaceFile } from '../../reference/server/store/atomic-write.ts';
import type { RunReport } from '../runner/report-format.ts';

export const renderJson = (report: RunReport) => `${JSON.stringify(report, null, 2)}\n`;

/**
 * Writes atomically, so a CI step reading report.json never sees half of it. The kit has one
 * temp-file-and-rename, the reference server's (DATA-3); the harness creates the folder first.
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await replaceFile(file, Buffer.from(content));
}
