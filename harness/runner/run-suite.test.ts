import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type RunningServer } from '../../reference/server/index.ts';
import { parseScenarioFile, type LoadedScenario } from '../scenarios/loader.ts';
import { addressTarget } from '../targets/address-target.ts';
import { referenceTarget } from '../targets/reference-target.ts';
import type { Target } from '../targets/target.ts';
import { RunReport } from './report-format.ts';
import { runSuite } from './run-suite.ts';

const HEADER = '# yaml-language-server: $schema=../../schemas/scenario.schema.json\n';
const scenarios = (body: string): LoadedScenario[] => parseScenarioFile(`${HEADER}group: 2\ntitle: Test\nscenarios:\n${body}`, 'inline.yaml');

describe('runSuite against the reference server', () => {
  let report: RunReport;
  beforeAll(async () => {
    report = await runSuite({ target: referenceTarget() });
  });

  test('every case passes in the strict profile', () => {
    const notPassed = report.cases.filter((c) => c.verdict !== 'PASSED').map((c) => `${c.id} ${c.verdict}: ${c.reason}`);
    expect(notPassed).toEqual([]);
    expect(report).toMatchObject({ ok: true, exitCode: 0, profile: 'strict' });
    expect(report.tally.PASSED).toBe(report.cases.length);
  });

  test('the report fits its schema and carries transcripts', () => {
    expect(() => RunReport.parse(report)).not.toThrow();
    const upload = report.cases.find((c) => c.id === '5.2.1');
    const kinds = new Set(upload?.transcript.map((e) => e.kind));
    for (const k of ['connect', 'json', 'image-length', 'image-bytes']) expect(kinds.has(k as never), k).toBe(true);
    const bytes = upload?.transcript.find((e) => e.kind === 'image-bytes' && e.dir === 'c2s');
    expect(bytes).toMatchObject({ length: 2097152 });
    // Cases come back in id order, whatever order they ran in.
    const ids = report.cases.map((c) => c.id);
    expect(ids[0]).toBe('1.1.1');
    expect(report.instances.length).toBeGreaterThanOrEqual(9);
  });
});

describe('runSuite verdicts', () => {
  let server: RunningServer;
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'instanet-runsuite-'));
    server = await startServer({ host: '127.0.0.1', port: 0, dataDir: path.join(root, 'data'), mode: 'course', seedUsers: 6, logger: false });
  });
  afterAll(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  test('a failed dependency skips its dependents, naming it; a harness fault is ERROR', async () => {
    const list = scenarios(`  - id: 2.1.1
    title: wrong expectation
    tasks: [2]
    requirements: [AUTH-1]
    level: MUST
    hint: {mismatch: "read the message text"}
    clients: {a: {}}
    steps:
      - send: {action: login, username: user1, password: "123"}
        expect: {status: success, message: Welcome}
  - id: 2.1.2
    title: dependent
    tasks: [2]
    requirements: [AUTH-1]
    depends: [2.1.1]
    level: MUST
    clients: {a: {}}
    steps:
      - pause: 1
  - id: 2.1.3
    title: bad template
    tasks: [2]
    requirements: [AUTH-1]
    level: MUST
    clients: {a: {}}
    steps:
      - send: {action: login, username: "{{nope}}", password: "123"}
`);
    const report = await runSuite({ target: addressTarget({ host: server.host, port: server.port }), scenarios: list });
    const [failed, skipped, error] = report.cases;
    expect(failed).toMatchObject({ verdict: 'FAILED', hint: 'read the message text', failure: { kind: 'mismatch', step: '1 (a: login)' } });
    expect(failed?.failure?.mismatches[0]).toMatchObject({ path: '$.message', expected: '"Welcome"', actual: '"Login successful"' });
    expect(skipped).toMatchObject({ verdict: 'SKIPPED', skippedBecause: [{ id: '2.1.1', verdict: 'FAILED' }], reason: 'depends on 2.1.1 (FAILED)' });
    expect(error).toMatchObject({ verdict: 'ERROR' });
    expect(error?.reason).toMatch(/unknown template \{\{nope\}\}/);
    expect(report).toMatchObject({ ok: false, exitCode: 1 });
  });

  test('levels: SHOULD fails as NON-STRICT (fatal only with strict); the course profile levels down starter gaps', async () => {
    const list = scenarios(`  - id: 2.5.1
    title: password hidden
    tasks: [2]
    requirements: [AUTH-6]
    level: SHOULD
    clients: {a: {login: user1}}
    steps:
      - send: {action: get_user_data, username: user1}
        expect: {status: success, user_data: {password: {$absent: true}}}
`);
    const target = addressTarget({ host: server.host, port: server.port });
    const strictProfile = await runSuite({ target, scenarios: list, profile: 'strict' });
    expect(strictProfile.cases[0]).toMatchObject({ verdict: 'NON-STRICT', effectiveLevel: 'SHOULD' });
    expect(strictProfile.ok).toBe(true);
    const strictRun = await runSuite({ target, scenarios: list, profile: 'strict', strict: true });
    expect(strictRun).toMatchObject({ ok: false, exitCode: 1 });
    const course = await runSuite({ target, scenarios: list });
    expect(course.profile).toBe('course');
    expect(course.cases[0]).toMatchObject({ verdict: 'INFORMATIONAL', level: 'SHOULD', effectiveLevel: 'INFORMATIONAL' });
  });

  test('file checks are SKIPPED when the target does not expose its data folder', async () => {
    const report = await runSuite({ target: addressTarget({ host: server.host, port: server.port }), cases: ['5.3.1'] });
    expect(report.cases[0]).toMatchObject({ verdict: 'SKIPPED' });
    expect(report.cases[0]?.reason).toMatch(/does not expose its data folder/);
  });
});

describe('runSuite against servers that misbehave', () => {
  test('a server that never answers fails on the step timeout, not the test timeout', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const report = await runSuite({ target: addressTarget({ host: '127.0.0.1', port }), cases: ['2.1.1', '2.1.2'], timeoutMs: 300 });
      expect(report.cases[0]).toMatchObject({ verdict: 'FAILED', failure: { kind: 'timeout' } });
      expect(report.cases[0]?.failure?.actual).toMatch(/no reply within 300 ms/);
      expect(report.cases[1]?.verdict).toBe('SKIPPED');
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  });

  test('a target that cannot start fails every case with the reason, and the run still reports', async () => {
    const broken: Target = {
      description: 'broken',
      start: async () => {
        const { TargetStartError } = await import('../targets/target.ts');
        throw new TargetStartError('the server exited before accepting connections (code 1)', { stdout: '', stderr: 'SyntaxError: invalid syntax' });
      },
    };
    const report = await runSuite({ target: broken, cases: ['2.1'] });
    expect(report.cases.every((c) => c.failure?.kind === 'not-started' || c.verdict === 'SKIPPED')).toBe(true);
    expect(report.cases[0]).toMatchObject({ verdict: 'FAILED' });
    expect(report.instances[0]).toMatchObject({ status: 'not-started', stderr: 'SyntaxError: invalid syntax' });
  });
});
