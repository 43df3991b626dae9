import { runBounded } from '../../process/run-bounded.ts';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AdmZip from 'adm-zip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAutograderZip } from './build.ts';
import { GradescopeResultsSchema } from './schema.ts';
import { KIT_ROOT } from '../kit-root.ts';

// The autograder zip run as Gradescope runs it: a private mount namespace (unshare -m) with a tmpfs
// on /autograder, the zip unpacked into /autograder/source, the hand-in in /autograder/submission,
// run_autograder copied to /autograder/run_autograder and started there. setup.sh's `npm ci` is
// stood in for by binding the kit's installed node_modules (its apt-get and NodeSource steps need
// Gradescope's Ubuntu image). The results.json left in /autograder/results must follow Gradescope's
// documented format and carry the expected score, also when the submission crashes or hangs.
// Gradescope's image has no /run and a read-only root (issue 22): WITHOUT_RUN=1 first moves into
// such a root (below), where a sandbox whose kit folder sat under /run could never start.

const SAMPLES = fileURLToPath(new URL('../../../fixtures/submissions/', import.meta.url));
const BROKEN = fileURLToPath(new URL('../../../fixtures/broken-submissions/', import.meta.url));
const NODE_MODULES = realpathSync(path.join(KIT_ROOT, 'node_modules'));

/**
 * A root like Gradescope's: every top-level entry of this machine but /run, on a tmpfs remounted
 * read-only, made the root with pivot_root (bwrap needs a real mount as its root; chroot is not
 * enough). Its mount point sits on a private tmpfs over /run, which the new root leaves out. All of
 * it lives in the private mount namespace and goes with it.
 */
const WITHOUT_RUN = `
mount -t tmpfs -o size=1m,mode=0755 scratch /run
new=/run/new-root
mkdir "$new"
mount -t tmpfs -o size=1m,mode=0755 new-root "$new"
for entry in /* /.[!.]*; do
  [ -e "$entry" ] || [ -L "$entry" ] || continue
  name=\${entry#/}
  [ "$name" = run ] && continue
  if [ -L "$entry" ]; then ln -s "$(readlink "$entry")" "$new/$name"
  elif [ -d "$entry" ]; then mkdir "$new/$name"; mount --rbind "$entry" "$new/$name"
  else touch "$new/$name"; mount --bind "$entry" "$new/$name"
  fi
done
mkdir "$new/.old-root"
mount -o remount,ro "$new"
cd "$new"
pivot_root . .old-root
umount -l /.old-root
cd /
if [ -e /run ] || mkdir /run 2>/dev/null; then echo "the simulated root has a /run" >&2; exit 97; fi
`;

const SCRIPT = `
set -euo pipefail
mount --make-rprivate /
if [ "\${WITHOUT_RUN:-}" = 1 ]; then ${WITHOUT_RUN}
fi
mount -t tmpfs -o size=1g,mode=0755 autograder /autograder
mkdir -p /autograder/source /autograder/submission /autograder/results
unzip -q "$ZIP" -d /autograder/source
mkdir /autograder/source/instanet-kit/node_modules
mount --bind "$NODE_MODULES" /autograder/source/instanet-kit/node_modules
cp -R "$SAMPLE/." /autograder/submission/
cp /autograder/source/run_autograder /autograder/run_autograder
cd /autograder
status=0
/autograder/run_autograder "$@" >"$OUT/stdout.txt" 2>&1 || status=$?
cp /autograder/results/results.json "$OUT/results.json"
exit "$status"
`;

let tmp: string;
let zipFile: string;
let madeMountPoint = false;
const canUnshare = process.getuid?.() === 0 && existsSync('/usr/bin/unshare') && existsSync('/usr/bin/unzip');

/** Runs the script in its own mount namespace, through the kit's bounded runner (the group dies on every path). */
async function runInNamespace(sample: string, out: string, args: string[], timeoutMs: number, withoutRun = false): Promise<{ code: number | null; timedOut: boolean }> {
  // A folder of its own to run in: the runner sweeps whatever is left working there afterwards.
  const cwd = await mkdtemp(path.join(tmp, 'run-'));
  const run = await runBounded(['unshare', '-m', '--propagation', 'private', 'bash', '-c', SCRIPT, 'autograder', ...args], {
    cwd,
    timeoutMs,
    outputLimitBytes: 8000,
    env: { ZIP: zipFile, NODE_MODULES, SAMPLE: sample, OUT: out, WITHOUT_RUN: withoutRun ? '1' : '' },
  });
  if (run.stderr.trim()) console.log(`autograder ${path.basename(sample)}: ${run.stderr.trim()}`);
  return { code: run.code, timedOut: run.timedOut };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'gradescope-zip-'));
  zipFile = (await buildAutograderZip({ out: tmp })).file;
  // The mount point must exist in the shared file system; the tmpfs on it stays private.
  if (canUnshare && !existsSync('/autograder')) {
    await mkdir('/autograder');
    madeMountPoint = true;
  }
});
afterAll(async () => {
  // An empty /autograder made here stays: removing it could race a sandbox of a parallel test file
  // that is about to hide it (sandbox.ts hides /autograder when it exists).
  if (madeMountPoint) expect(await readdir('/autograder')).toEqual([]);
  await rm(tmp, { recursive: true, force: true });
});

describe('instanet gradescope build', () => {
  it('puts setup.sh and run_autograder (executable) at the root and the kit under instanet-kit/', () => {
    const zip = new AdmZip(zipFile);
    const names = new Set(zip.getEntries().map((e) => e.entryName));
    for (const name of ['setup.sh', 'run_autograder', 'instanet-kit/package.json', 'instanet-kit/package-lock.json', 'instanet-kit/harness/cli/instanet.mjs', 'instanet-kit/fixtures/rubrics/cpe356.yaml', 'instanet-kit/harness/grader/python/client_driver.py']) {
      expect(names, name).toContain(name);
    }
    expect([...names].some((n) => n.includes('node_modules/') || n.endsWith('.test.ts'))).toBe(false);
    for (const script of ['setup.sh', 'run_autograder']) expect((zip.getEntry(script)?.header.attr ?? 0) >>> 16 & 0o111, script).toBe(0o111);
  });

  it('packs a course rubric as rubric.yaml and refuses a broken one', async () => {
    const rubric = path.join(KIT_ROOT, 'fixtures/rubrics/cpe356.yaml');
    const out = path.join(tmp, 'with-rubric');
    await mkdir(out);
    const zip = new AdmZip((await buildAutograderZip({ out, rubricFile: rubric })).file);
    expect(zip.getEntry('rubric.yaml')?.getData().toString()).toBe(await readFile(rubric, 'utf8'));
    const broken = path.join(tmp, 'broken.yaml');
    await writeFile(broken, 'name: x\nversion: 1\ntasks: []\n');
    await expect(buildAutograderZip({ out, rubricFile: broken })).rejects.toMatchObject({ code: 'INSTANET_ERR_RUBRIC' });
  });
});

describe.skipIf(!canUnshare)('run_autograder in a simulated /autograder (private mount namespace)', () => {
  const full = /— 100 \/ 100 points\.\n\nImage framing \(informational\): [^\n]*agree, so the course app works\.$/;
  const cases: { name: string; dir: string; score: number | undefined; status: RegExp; withoutRun?: boolean; args?: string[] }[] = [
    { name: 'correct', dir: path.join(SAMPLES, 'correct'), score: 100, status: full },
    // --sandbox bwrap: falling back to plain processes would also score 100, and hide the bug.
    { name: 'correct-without-run', dir: path.join(SAMPLES, 'correct'), score: 100, status: full, withoutRun: true, args: ['--sandbox', 'bwrap'] },
    { name: 'crash-at-startup', dir: path.join(BROKEN, 'crash-at-startup'), score: 0, status: /Status: crashed: NameError/ },
    // Its server half scores 0; its client half sends well and keeps those few points.
    { name: 'hang', dir: path.join(BROKEN, 'hang'), score: undefined, status: /Status: timeout/ },
  ];
  for (const c of cases) {
    it(`${c.name}: a valid results.json scoring ${c.score ?? 'its client half'}`, async () => {
      const out = path.join(tmp, c.name);
      await mkdir(out);
      const run = await runInNamespace(c.dir, out, ['--case-timeout', '3', ...(c.args ?? [])], 400_000, c.withoutRun);
      const log = await readFile(path.join(out, 'stdout.txt'), 'utf8').catch(() => '');
      expect(run.timedOut, log.slice(-2000)).toBe(false);
      expect(existsSync(path.join(out, 'results.json')), `no results.json (exit ${run.code}):\n${log.slice(-2000)}`).toBe(true);
      const raw = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as unknown;
      const parsed = GradescopeResultsSchema.safeParse(raw);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      const results = parsed.data;
      if (c.score !== undefined) expect(results?.score, results?.output?.slice(0, 800)).toBe(c.score);
      else expect(results?.score).toBeLessThan(20);
      expect(results?.output).toMatch(c.status);
      const tests = results?.tests ?? [];
      expect(tests.reduce((s, t) => s + (t.max_score ?? 0), 0)).toBe(100);
      expect(tests.reduce((s, t) => s + (t.score ?? 0), 0)).toBeCloseTo(results?.score ?? -1, 6);
      // The mount namespace kept /autograder private: nothing leaked onto this machine.
      expect(existsSync('/autograder/results')).toBe(false);
    }, 420_000);
  }
});
