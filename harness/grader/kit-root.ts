import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The kit's package folder, also when this file runs from dist/ (which links the package's package.json). */
export const KIT_ROOT = packageRoot(fileURLToPath(new URL('.', import.meta.url)));

function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return path.dirname(realpathSync(path.join(dir, 'package.json')));
    if (path.dirname(dir) === dir) return fileURLToPath(new URL('../../', import.meta.url));
  }
}
