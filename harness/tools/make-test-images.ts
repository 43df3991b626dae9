// Writes the committed test images into fixtures/images/. The large photo is not committed:
// tests build it on demand with photo() from harness/runner/test-images.ts.
// Run: npx tsx harness/tools/make-test-images.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { photo, smallJpeg } from '../runner/test-images.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'images');
mkdirSync(out, { recursive: true });
const files: Record<string, Buffer> = {
  'small.jpg': smallJpeg(),
  'photo-35k.jpg': photo(35 * 1024),
};
for (const [name, data] of Object.entries(files)) {
  writeFileSync(join(out, name), data);
  console.log(`${name}: ${data.length} bytes`);
}
