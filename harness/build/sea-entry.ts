import { existsSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getAsset } from 'node:sea';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

// The start of the single executable (bundled by build-sea.ts to CommonJS, which is what Node 20's
// SEA runs). The kit itself is ES modules with top-level await that reads its scenarios, rubric
// and Python helpers from disk next to its own code, and hands the Python files to python3 and
// bwrap by path: so everything is embedded as SEA assets and written once to a folder of the temp
// dir named by the build's content hash, then the bundle is imported from there. Later starts find
// the folder and only import.

interface Manifest {
  /** Content hash of the bundle and every asset: a new build gets a new folder. */
  id: string;
  /** The kit's entry module, relative to the folder. */
  entry: string;
  /** Paths relative to the folder; each is also the asset's key. */
  files: string[];
}

const READY_MARK = '.complete';

/** Ours, complete, and writable by nobody else: the only folder we will run code from. */
function trustworthy(dir: string): boolean {
  try {
    const stat = lstatSync(dir);
    const ownedByUs = process.getuid === undefined || stat.uid === process.getuid();
    return stat.isDirectory() && ownedByUs && (stat.mode & 0o022) === 0 && existsSync(path.join(dir, READY_MARK));
  } catch {
    return false;
  }
}

function writeAssets(dir: string, manifest: Manifest): void {
  for (const file of manifest.files) {
    const target = path.join(dir, file);
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    writeFileSync(target, new Uint8Array(getAsset(file)), { mode: 0o644 });
  }
  writeFileSync(path.join(dir, READY_MARK), `${manifest.id}\n`);
}

/**
 * Writes into a private folder, then renames it into place, so a start that races another (or
 * is killed halfway) never runs a half-written kit. The folder is readable by all (0755):
 * the sandbox may run student code as another uid, and it binds the Python helpers from here.
 */
function unpacked(manifest: Manifest): string {
  const uid = process.getuid?.() ?? 'user';
  const home = path.join(os.tmpdir(), `instanet-${manifest.id}-${uid}`);
  if (trustworthy(home)) return home;
  const staging = mkdtempSync(path.join(os.tmpdir(), 'instanet-unpack-'));
  chmodSync(staging, 0o755);
  writeAssets(staging, manifest);
  try {
    renameSync(staging, home);
    return home;
  } catch {
    // Someone else's folder, or another start's that won the race: use that one only if it is ours.
    if (trustworthy(home)) {
      rmSync(staging, { recursive: true, force: true });
      return home;
    }
    return staging;
  }
}

/** Node 20 calls the loader below experimental on every start; a student has nothing to do about it. */
function quietLoaderWarning(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    if (String(warning).includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

quietLoaderWarning();
/** An import() that loads ES modules from disk: a SEA's own script cannot, without this loader. */
const importFromDisk = new vm.Script('(url) => import(url)', {
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
}).runInThisContext() as (url: string) => Promise<unknown>;

const manifest = JSON.parse(getAsset('manifest.json', 'utf8')) as Manifest;
importFromDisk(pathToFileURL(path.join(unpacked(manifest), manifest.entry)).href).catch((error: unknown) => {
  process.stderr.write(`instanet: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 3;
});
