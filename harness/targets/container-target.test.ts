import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstaNetClient } from '../../reference/client/index.ts';
import { loadExpectedTable } from '../../fixtures/submissions/expected-table.ts';
import { runGrade } from '../grader/grade/grade-run.ts';
import { DEFAULT_CONTAINER_IMAGE } from './container-image.ts';
import { assertContainerRuntime, containerTarget, type ContainerLimits } from './container-target.ts';

// `--sandbox container` against a real engine. `npm run test:container` provides one on any Debian
// machine (harness/tools/container-engine.sh: podman's Docker API and a locally built image) and sets
// INSTANET_REQUIRE_CONTAINER=1, so there a missing engine fails; under plain `npm test` without an
// engine the tests skip and say why, so a green run never hides that the container path went untested.

const SUBMISSIONS = fileURLToPath(new URL('../../fixtures/submissions/', import.meta.url));
const BROKEN = fileURLToPath(new URL('../../fixtures/broken-submissions/', import.meta.url));
const IMAGE = DEFAULT_CONTAINER_IMAGE;
const REQUIRED = process.env.INSTANET_REQUIRE_CONTAINER === '1';
const LIMITS: ContainerLimits = { memoryMiB: 256, processes: 64, fileSizeMiB: 8, cpuSeconds: 60 };
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

const engine = await Promise.race([
  assertContainerRuntime().then(
    () => ({ ok: true as const, reason: '' }),
    (error: Error) => ({ ok: false as const, reason: error.message }),
  ),
  new Promise<{ ok: false; reason: string }>((resolve) => setTimeout(() => resolve({ ok: false, reason: 'no container engine answered within 10 s' }), 10_000).unref()),
]);
if (!engine.ok && !REQUIRED) console.log(`container-target integration tests skipped: ${engine.reason} (npm run test:container provides an engine)`);
const run = engine.ok ? it : it.skip;

// What a hostile server would try first: who am I, can I reach anything, how far can I grow.
const PROBE_SERVER = `
import json, os, resource, socket, sys
port = int(sys.argv[sys.argv.index('--port') + 1])
facts = {'uid': os.getuid(), 'gid': os.getgid()}
facts['nofile'] = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
facts['nproc'] = resource.getrlimit(resource.RLIMIT_NPROC)[1]
facts['interfaces'] = sorted(name for _, name in socket.if_nameindex())
try:
    socket.create_connection(('10.0.2.2', 9), timeout=2).close(); facts['outbound'] = 'connected'
except OSError as e:
    facts['outbound'] = type(e).__name__
def read(p):
    try:
        return open(p).read().strip()
    except OSError:
        return None
facts['pids_max'] = read('/sys/fs/cgroup/pids/pids.max') or read('/sys/fs/cgroup/pids.max')
facts['memory_max'] = read('/sys/fs/cgroup/memory/memory.limit_in_bytes') or read('/sys/fs/cgroup/memory.max')
try:
    open('/etc/instanet-probe', 'w').write('x'); facts['root_writable'] = True
except OSError:
    facts['root_writable'] = False
os.makedirs('data', exist_ok=True)
json.dump(facts, open('data/facts.json', 'w'))
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('localhost', port)); s.listen()
while True:
    s.accept()[0].close()
`;

let tmp: string;
beforeAll(async () => {
  if (REQUIRED && !engine.ok) throw new Error(`INSTANET_REQUIRE_CONTAINER=1 but no container engine: ${engine.reason}`);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'container-test-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('containerTarget on a real engine', () => {
  it('has an engine where one is required', () => {
    if (REQUIRED) expect(engine).toEqual({ ok: true, reason: '' });
  });

  run('serves the correct sample through the relay, with fresh data per start', async () => {
    const ws = path.join(tmp, 'correct');
    await cp(path.join(SUBMISSIONS, 'correct'), ws, { recursive: true });
    const target = containerTarget({ workspace: ws, image: IMAGE, command: ['python3', 'server.py', '--port', '{port}'], readyMs: 60_000, limits: LIMITS });
    const instance = await target.start();
    try {
      expect(instance.host).toBe('127.0.0.1');
      const client = await InstaNetClient.connect({ host: instance.host, port: instance.port, timeoutMs: 10_000 });
      try {
        expect(await client.login('user1', '123')).toMatchObject({ status: 'success', message: 'Login successful' });
      } finally {
        client.close();
      }
    } finally {
      expect((await instance.stop()).status).toBe('ok');
    }
  }, 120_000);

  run('isolates like bwrap: no network, not root, read-only system, limits on pids, memory and files', async () => {
    const ws = path.join(tmp, 'probe');
    await mkdir(path.join(ws, 'data'), { recursive: true });
    await writeFile(path.join(ws, 'server.py'), PROBE_SERVER);
    const target = containerTarget({ workspace: ws, image: IMAGE, command: ['python3', 'server.py', '--port', '{port}'], readyMs: 60_000, limits: LIMITS });
    const instance = await target.start();
    let facts: Record<string, unknown>;
    try {
      facts = JSON.parse(await readFile(path.join(instance.dataDir as string, 'facts.json'), 'utf8')) as Record<string, unknown>;
    } finally {
      await instance.stop();
    }
    expect(facts.interfaces).toEqual(['lo']);
    expect(facts.outbound).not.toBe('connected');
    expect(facts.uid).toBeGreaterThanOrEqual(200_000);
    expect(facts.gid).toBe(facts.uid);
    expect(facts.root_writable).toBe(false);
    expect(facts.nofile).toBe(1024);
    expect(facts.nproc).toBe(LIMITS.processes + 8);
    expect(facts.pids_max).toBe(String(LIMITS.processes + 8));
    expect(facts.memory_max).toBe(String(LIMITS.memoryMiB * 1024 * 1024));
  }, 120_000);

  run('reports a server that dies at start-up as crashed, with its last line', async () => {
    const ws = path.join(tmp, 'crash');
    await cp(path.join(BROKEN, 'crash-at-startup'), ws, { recursive: true });
    const target = containerTarget({ workspace: ws, image: IMAGE, command: ['python3', 'server.py', '--port', '{port}'], readyMs: 60_000, limits: LIMITS });
    await expect(target.start()).rejects.toMatchObject({ failure: { status: 'crashed', detail: expect.stringMatching(/NameError/) } });
  }, 120_000);

  run('grades the samples in containers with the points of EXPECTED.yaml (as under bwrap)', async () => {
    const expected = loadExpectedTable();
    const samples = ['correct', 'json-single-recv', 'no-wait-ready'];
    const folder = path.join(tmp, 'class');
    for (const name of samples) await cp(path.join(SUBMISSIONS, name), path.join(folder, name), { recursive: true });
    const run = await runGrade({ submissions: folder, out: path.join(tmp, 'graded'), sandbox: 'container', image: IMAGE, jobs: 1, force: true, progress: 'none', stream: quiet });
    for (const name of samples) {
      const grade = run.grades.find((g) => g.name === name);
      const want = expected.samples[name];
      expect(grade?.status, `${name}: ${grade?.detail ?? ''}`).toBe('ok');
      expect(Object.fromEntries((grade?.tasks ?? []).map((t) => [t.id, t.earned])), name).toEqual(want?.tasks);
      expect(grade?.total, name).toBe(want?.total);
    }
  }, 900_000);
});
