import { readFileSync } from 'node:fs';

// A leaf every layer may import (runner, grader, recorder, reporters stamp it into what they write);
// it lived in harness/cli/ and so made those layers import upward.
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const KIT_VERSION: string = pkg.version;
