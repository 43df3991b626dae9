import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

// What dist/ was compiled from, as one hash: the built-CLI test compares it with the sources on
// disk, so a dist/ older than the code fails loudly instead of testing yesterday's kit.

export const SOURCE_ROOTS = ['spec', 'reference', 'harness'] as const;

const isSource = (file: string) => file.endsWith('.ts') && !file.endsWith('.test.ts');

async function sourceFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && isSource(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

export async function sourceDigest(kitRoot: string): Promise<string> {
  const hash = createHash('sha256');
  for (const root of SOURCE_ROOTS) {
    for (const file of await sourceFiles(path.join(kitRoot, root))) {
      hash.update(path.relative(kitRoot, file)).update('\0').update(await readFile(file)).update('\0');
    }
  }
  return hash.digest('hex');
}
