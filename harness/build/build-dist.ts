import { execFileSync } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceDigest } from './source-digest.ts';

// `npm run build` (and `npm ci`, through `prepare`): compiles the kit to dist/ with the sources'
// layout, then links in the files the code finds next to itself through import.meta.url
// (../../package.json, ../../fixtures/..., ./python/). Links, not copies, so editing a scenario
// never needs a rebuild; only TypeScript does, and the built-CLI test says so when it is stale.

const KIT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = path.join(KIT_ROOT, 'dist');
const LINKED_ASSETS = ['package.json', 'fixtures', 'harness/grader/python', 'harness/sandbox/python'] as const;

async function clean(): Promise<void> {
  await rm(DIST, { recursive: true, force: true });
}

function compile(): void {
  const tsc = path.join(KIT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(KIT_ROOT, 'tsconfig.build.json')], { stdio: 'inherit', timeout: 600_000 });
}

async function linkAssets(): Promise<void> {
  for (const asset of LINKED_ASSETS) {
    const link = path.join(DIST, asset);
    await mkdir(path.dirname(link), { recursive: true });
    await symlink(path.relative(path.dirname(link), path.join(KIT_ROOT, asset)), link);
  }
}

async function stamp(): Promise<void> {
  const info = { sources: await sourceDigest(KIT_ROOT), builtAt: new Date().toISOString() };
  await writeFile(path.join(DIST, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);
}

await clean();
compile();
await linkAssets();
await stamp();
process.stdout.write(`built ${path.relative(process.cwd(), DIST) || DIST}\n`);
