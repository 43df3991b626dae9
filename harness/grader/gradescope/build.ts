import { existsSync } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { EnvironmentError } from '../../errors.ts';
import { KIT_ROOT } from '../kit-root.ts';
import { loadRubric } from '../rubric/loader.ts';

// The autograder zip a course uploads to Gradescope: setup.sh and run_autograder at its root (where
// Gradescope looks for them), the kit's sources under instanet-kit/ (setup.sh runs `npm ci` there)
// and, with --rubric, the course's rubric as rubric.yaml (run_autograder passes it on). Built from
// the sources, not dist/: `npm ci` builds dist/ on the image, as it does everywhere.

// From the package's sources, which the zip carries anyway: dist/ has no copy of these scripts.
const GRADESCOPE_DIR = path.join(KIT_ROOT, 'harness', 'grader', 'gradescope');
/** What the kit needs to install and run; tests, reports and installed modules stay out. */
const KIT_ENTRIES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'spec', 'reference', 'harness', 'fixtures', 'schemas'];
const SKIPPED = new Set(['node_modules', 'dist', '__pycache__', '.vitest-tmp']);
const EXECUTABLE = 0o755; // adm-zip makes it the entry's Unix mode (a regular file)
const REGULAR = 0o644;

export interface AutograderZip {
  file: string;
  entries: number;
}

async function addTree(zip: AdmZip, source: string, entry: string): Promise<number> {
  const info = await lstat(source);
  // A link could point anywhere on the building machine: only real files and folders go in.
  if (info.isDirectory()) {
    let count = 0;
    for (const name of (await readdir(source)).sort()) {
      if (SKIPPED.has(name) || name.endsWith('.pyc') || name.endsWith('.test.ts')) continue;
      count += await addTree(zip, path.join(source, name), `${entry}/${name}`);
    }
    return count;
  }
  if (!info.isFile()) return 0;
  zip.addFile(entry, await readFile(source), '', info.mode & 0o111 ? EXECUTABLE : REGULAR);
  return 1;
}

/** The installed package and the single executable carry dist/ only: the zip needs the sources. */
function assertSources(): void {
  if (existsSync(path.join(GRADESCOPE_DIR, 'setup.sh'))) return;
  throw new EnvironmentError('gradescope build packs the kit\'s sources, which an installed kit does not have: run it in a clone of the kit (npm ci, then npx instanet gradescope build)');
}

export async function buildAutograderZip(options: { out: string; rubricFile?: string }): Promise<AutograderZip> {
  assertSources();
  const zip = new AdmZip();
  let entries = 0;
  for (const script of ['setup.sh', 'run_autograder']) {
    zip.addFile(script, await readFile(path.join(GRADESCOPE_DIR, script)), '', EXECUTABLE);
    entries++;
  }
  for (const name of KIT_ENTRIES) entries += await addTree(zip, path.join(KIT_ROOT, name), `instanet-kit/${name}`);
  if (options.rubricFile) {
    // Checked here, so a typo in the rubric fails the build, not every student's submission.
    await loadRubric(options.rubricFile);
    zip.addFile('rubric.yaml', await readFile(options.rubricFile), '', REGULAR);
    entries++;
  }
  const file = path.join(path.resolve(options.out), 'autograder.zip');
  await zip.writeZipPromise(file);
  return { file, entries };
}
