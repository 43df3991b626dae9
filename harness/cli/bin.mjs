#!/usr/bin/env node
// The installed `instanet`: the kit compiled to dist/ by `npm run build`, which `npm ci` runs
// through `prepare`. (harness/cli/instanet.mjs runs the TypeScript sources through tsx instead,
// for development and the kit's own tests.)
import { existsSync } from 'node:fs';

const main = new URL('../../dist/harness/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('instanet: the kit is not built (no dist/); run `npm run build` in the kit folder (`npm ci` does it)\n');
  process.exit(3);
}
await import(main.href);
