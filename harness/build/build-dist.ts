import { execFileSync } from 'node:child_process';
import { cp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIME_ASSETS } from './runtime-assets.ts';
import { sourceDigest } from './source-digest.ts';

// `npm run build` (and `npm ci`, through `prepare`): compiles the kit to dist/ with the sources'
// layout, then links in the files the code finds next to itself through import.meta.url
// (../../package.json, ../../fixtures/..., ./python/). Links, not copies, so editing a scenario
// never needs a rebuild; only TypeScript does, and the built-CLI test says so when it is stale.
//
// `npm pack` (and publish) runs `prepare` too, and a tarball keeps no links: then the files are
// copied instead, only those the installed kit reads at run time, and `postpack` (--relink) puts
// the links back without compiling again.

const KIT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = path.join(KIT_ROOT, 'dist');
const LINKED_ASSETS = ['package.json', 'fixtures', 'harness/grader/python', 'harness/sandbox/python'] as const;
const PACKING = new Set(['pack', 'publish']).has(process.env['npm_command'] ?? '');

async function clean(): Promise<void> {
  await rm(DIST, { recursive: true, force: true });
}

function compile(): void {
  const tsc = path.join(KIT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(KIT_ROOT, 'tsconfig.build.json')], { stdio: 'inherit', timeout: 600_000 });
}

async function unlinkAssets(): Promise<void> {
  for (const asset of new Set<string>([...LINKED_ASSETS, ...RUNTIME_ASSETS])) await rm(path.join(DIST, asset), { recursive: true, force: true });
}

/** Python caches are the machine's and tests the kit's own: neither goes to students. */
const shipped = (source: string) => !source.includes('__pycache__') && !source.endsWith('.pyc') && !source.endsWith('.test.ts');

async function copyAssets(): Promise<void> {
  for (const asset of RUNTIME_ASSETS) {
    await cp(path.join(KIT_ROOT, asset), path.join(DIST, asset), { recursive: true, filter: shipped });
  }
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

if (process.argv.includes('--relink')) {
  await unlinkAssets();
  await linkAssets();
  process.stdout.write('relinked dist/ assets\n');
} else {
  await clean();
  compile();
  await (PACKING ? copyAssets() : linkAssets());
  await stamp();
  process.stdout.write(`built ${path.relative(process.cwd(), DIST) || DIST}${PACKING ? ' (assets copied, for the tarball)' : ''}\n`);
}
