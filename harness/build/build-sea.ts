import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { RUNTIME_ASSETS } from './runtime-assets.ts';

// `npm run build:sea`: the kit as one file for students without Node: dist-sea/instanet-<os>-<arch>.
// esbuild bundles the kit and its npm dependencies into ES modules, an entry and the chunks it
// loads lazily (a SEA has no node_modules to import from); Node's single-executable support
// (`--experimental-sea-config`) turns a small CommonJS starter plus that bundle and the run-time
// assets into a blob; postject injects the blob
// into a copy of this node binary. The same script on macOS or Windows builds for that system.

const KIT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = path.join(KIT_ROOT, 'dist-sea');
const STAGE = path.join(OUT, 'stage');
/** The bundle's files: the entry and the chunks of the commands main.ts imports when they run. */
const APP = path.join(STAGE, 'app');
const BUNDLE = 'main.mjs';
const EXE_NAME = `instanet-${process.platform}-${process.arch}${process.platform === 'win32' ? '.exe' : ''}`;
/** Node's published SEA fuse (docs: Single executable applications). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/**
 * Loaded by --sandbox container only (load-container-target.ts), which an executable cannot add
 * later: it stands in as a module that fails the way a missing package does, when first loaded,
 * so load-container-target.ts gives its one-line error. (An external import would be hoisted to
 * the bundle's top and stop every command.)
 */
const NOT_BUNDLED = ['testcontainers'];
const absentPackages: Plugin = {
  name: 'absent-packages',
  setup(b) {
    const filter = new RegExp(`^(${NOT_BUNDLED.join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'absent' }));
    b.onLoad({ filter: /.*/, namespace: 'absent' }, (args) => ({
      contents: `const e = new Error(${JSON.stringify(`Cannot find package '${args.path}' (the single executable leaves it out)`)}); e.code = 'ERR_MODULE_NOT_FOUND'; throw e;`,
      loader: 'js',
    }));
  },
};

/**
 * The kit finds its files through `new URL('./python/…', import.meta.url)`; in one bundle every
 * module would share the bundle's URL. So each of our files gets its own again, as the place it
 * had under the kit root, resolved against the bundle's folder, where the assets are laid out alike.
 */
const ownImportMetaUrl: Plugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const relative = path.relative(KIT_ROOT, args.path).split(path.sep).join('/');
      if (relative.startsWith('node_modules/')) return undefined;
      const source = await readFile(args.path, 'utf8');
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, import.meta.url).href`), loader: 'ts' };
    });
  },
};

async function bundleKit(): Promise<void> {
  await build({
    entryPoints: [path.join(KIT_ROOT, 'harness/cli/main.ts')],
    // Split at main.ts's lazy imports, as dist/ is: `--version` parses the command line's code,
    // not the grader's, the server's and every dependency's (one 2.8 MB file took twice node's start).
    outdir: APP,
    splitting: true,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    plugins: [absentPackages, ownImportMetaUrl],
    // CommonJS dependencies call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __kitCreateRequire } from 'node:module'; const require = __kitCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  await build({
    entryPoints: [path.join(KIT_ROOT, 'harness/build/sea-entry.ts')],
    outfile: path.join(STAGE, 'sea-entry.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
}

const shipped = (file: string) => !file.includes('__pycache__') && !file.endsWith('.pyc') && !file.endsWith('.test.ts');

/** Every run-time file, by its path under the kit root (the bundle's folder at run time). */
async function assetFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const asset of RUNTIME_ASSETS) {
    const full = path.join(KIT_ROOT, asset);
    if ((await stat(full)).isFile()) {
      files.push(asset);
      continue;
    }
    const entries = await readdir(full, { recursive: true, withFileTypes: true });
    for (const e of entries) if (e.isFile()) files.push(path.relative(KIT_ROOT, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
  }
  return files.filter(shipped).sort();
}

async function writeSeaConfig(files: string[]): Promise<string> {
  const sources: Record<string, string> = Object.fromEntries((await readdir(APP)).sort().map((f) => [f, path.join(APP, f)]));
  for (const file of files) sources[file] = path.join(KIT_ROOT, file);
  const hash = createHash('sha256');
  for (const [key, source] of Object.entries(sources)) hash.update(key).update('\0').update(await readFile(source)).update('\0');
  const manifest = { id: hash.digest('hex').slice(0, 16), entry: BUNDLE, files: Object.keys(sources) };
  await writeFile(path.join(STAGE, 'manifest.json'), JSON.stringify(manifest));
  const config = {
    main: path.join(STAGE, 'sea-entry.cjs'),
    output: path.join(STAGE, 'sea-prep.blob'),
    disableExperimentalSEAWarning: true,
    assets: { 'manifest.json': path.join(STAGE, 'manifest.json'), ...sources },
  };
  const file = path.join(STAGE, 'sea-config.json');
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

/** A copy of this node with the blob injected; macOS wants the copy's signature removed first and a new ad-hoc one after. */
async function makeExecutable(configFile: string): Promise<string> {
  execFileSync(process.execPath, ['--experimental-sea-config', configFile], { stdio: 'inherit', timeout: 300_000 });
  const exe = path.join(OUT, EXE_NAME);
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  if (process.platform === 'darwin') execFileSync('codesign', ['--remove-signature', exe], { stdio: 'inherit' });
  const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
  const macho = process.platform === 'darwin' ? ['--macho-segment-name', 'NODE_SEA'] : [];
  execFileSync(process.execPath, [postject, exe, 'NODE_SEA_BLOB', path.join(STAGE, 'sea-prep.blob'), '--sentinel-fuse', SEA_FUSE, ...macho], { stdio: 'inherit', timeout: 300_000 });
  if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', exe], { stdio: 'inherit' });
  return exe;
}

await rm(OUT, { recursive: true, force: true });
await mkdir(STAGE, { recursive: true });
await bundleKit();
const exe = await makeExecutable(await writeSeaConfig(await assetFiles()));
await rm(STAGE, { recursive: true, force: true });
process.stdout.write(`built ${path.relative(process.cwd(), exe)}\n`);
