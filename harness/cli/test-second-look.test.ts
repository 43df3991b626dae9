import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KIT, startCli } from '../testing/cli-process.ts';

// `instanet test --server` on a CI machine busy with other jobs must not fail a server that answers.
// Waits are measured in the server's own time (harness/process/own-time.ts), so a start slowed by
// the machine is waited for; what is left for a second look are wall-clock verdicts only. The
// stand-in: the course sample server, except that its first start (counted in a file outside the
// per-start copies) listens, accepts and never answers: provably stuck, so charged at once.

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

describe('instanet test: timeouts in own time, and the second look', () => {
  it('a server provably stuck (blocked on input, nothing in flight) is charged at once, in own time, and not judged again', async () => {
    const counter = path.join(scratch, 'count-a');
    const cli = run([], counter);
    try {
      expect(await cli.exit(90_000)).toBe(1);
      expect(cli.stdout()).not.toMatch(/Second look/);
      const report = JSON.parse(readFileSync(path.join(scratch, 'out-count-a', 'report.json'), 'utf8')) as {
        ok: boolean;
        cases: { id: string; verdict: string; firstRun?: unknown; failure?: { kind: string; ownTime?: boolean; actual: string } }[];
      };
      expect(report.ok).toBe(false);
      expect(report.cases[0]).toMatchObject({ id: '2.1.1', verdict: 'FAILED', failure: { kind: 'timeout', ownTime: true } });
      expect(report.cases[0]?.firstRun).toBeUndefined();
      expect(report.cases[0]?.failure?.actual).toMatch(/none can come: every thread of the server/);
      expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
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
