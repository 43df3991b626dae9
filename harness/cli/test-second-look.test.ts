import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KIT, startCli } from '../testing/cli-process.ts';

// `instanet test --server` on a CI machine busy with other jobs: a start that comes up too slow to
// answer in time must not fail the run. The stand-in: the course sample server, except that its
// first start (counted in a file outside the per-start copies) listens and never answers.

const SAMPLE = path.join(KIT, 'fixtures/submissions/correct');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'instanet-cli-second-look-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const WRAPPER = `
import os, socket, sys, time
port, counter = sys.argv[1], sys.argv[2]
with open(counter, 'a') as f:
    f.write('start\\n')
starts = open(counter).read().count('start')
if starts == 1:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('127.0.0.1', int(port)))
    listener.listen(8)
    held = []
    while True:
        held.append(listener.accept()[0])
os.execvp(sys.executable, [sys.executable, 'server.py', '--port', port])
`;

function run(extra: string[], counter: string) {
  const wrapper = path.join(scratch, 'silent_first.py');
  writeFileSync(wrapper, WRAPPER);
  const out = path.join(scratch, `out-${path.basename(counter)}`);
  return startCli([
    'test', '--server', `python3 ${wrapper} {port} ${counter}`, '--cwd', SAMPLE,
    '--cases', '2.1.1', '--timeout', '1500', '--parallel', '1', '--out', out, ...extra,
  ]);
}

describe('instanet test: second look at timeouts', () => {
  it('a case that timed out on a disturbed start passes when judged again alone; the run passes and the report keeps the first verdict', async () => {
    const counter = path.join(scratch, 'count-a');
    const cli = run([], counter);
    try {
      expect(await cli.exit(90_000)).toBe(0);
      expect(cli.stdout()).toMatch(/Second look[\s\S]*2\.1\.1 FAILED then PASSED/);
      const report = JSON.parse(readFileSync(path.join(scratch, 'out-count-a', 'report.json'), 'utf8')) as {
        ok: boolean;
        cases: { id: string; verdict: string; firstRun?: { verdict: string; reason?: string } }[];
      };
      expect(report.ok).toBe(true);
      expect(report.cases[0]).toMatchObject({ id: '2.1.1', verdict: 'PASSED', firstRun: { verdict: 'FAILED' } });
      expect(report.cases[0]?.firstRun?.reason).toMatch(/no reply within 1500 ms/);
      expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
    } finally {
      cli.kill();
    }
  }, 120_000);

  it('--no-second-look charges the timeout at once', async () => {
    const counter = path.join(scratch, 'count-b');
    const cli = run(['--no-second-look'], counter);
    try {
      expect(await cli.exit(90_000)).toBe(1);
      expect(cli.stdout()).not.toMatch(/Second look/);
      expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    } finally {
      cli.kill();
    }
  }, 120_000);
});
