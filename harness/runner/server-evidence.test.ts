import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Rubric } from '../grader/rubric/format.ts';
import { SandboxedTarget } from '../grader/server-half/sandboxed-target.ts';
import { prepareWorkspace } from '../grader/submissions/workspace.ts';
import { planSandbox, probeBwrap, resolvePython, sandboxCommand, type SandboxPlan } from '../sandbox/sandbox.ts';
import { studentReportHtml } from '../grader/outputs/student-report.ts';
import { blameOf } from '../grader/rubric/blame.ts';
import { GRADE_FORMAT_VERSION, SubmissionGrade } from '../grader/outputs/grade-format.ts';
import { ConsoleReporter } from '../reporters/console.ts';
import { spawnedTarget } from '../targets/spawned-target.ts';
import { TimedLines } from '../process/timed-lines.ts';
import { ScenarioConnection } from './connection.ts';
import { evidenceHint } from './evidence-hints.ts';
import { CaseResult, RunReport } from './report-format.ts';
import { runSuite } from './run-suite.ts';
import { caseEvidence, openEvidenceWindow, ownLines } from './server-evidence.ts';
import { StepFailure } from './step-failure.ts';
import { WireLog } from './wire-log.ts';
import { wrongHintHandIn } from '../testing/wrong-hint-hand-in.ts';

// Issue 11, point 5: the student server's own words are evidence of the case that was running.

const SUBMISSIONS = fileURLToPath(new URL('../../fixtures/submissions/', import.meta.url));

/** Client ports a server line names ("('127.0.0.1', 43250)"). */
const portsNamed = (lines: readonly string[]) => new Set(lines.flatMap((l) => [...l.matchAll(/\('127\.0\.0\.1', (\d+)\)/g)].map((m) => Number(m[1]))));

describe('the lines a server printed, per case', () => {
  test('lines are stamped when they begin; a line split over two chunks keeps its first stamp', () => {
    const lines = new TimedLines();
    lines.push('stdout', 'Connection from a\nError handling cl', 10);
    lines.push('stdout', 'ient: boom\n', 30);
    lines.push('stderr', 'Traceback (most recent call last):\n  File "x", line 1, in receive_image\n', 50);
    expect(lines.between(0, 20)).toEqual(['Connection from a', 'Error handling client: boom']);
    expect(lines.between(40, 60)).toEqual(['Traceback (most recent call last):', '  File "x", line 1, in receive_image']);
  });

  test("another client's lines are left out when the case's own client is named", () => {
    const lines = ["Connection closed: ('127.0.0.1', 1111)", "Connection from ('127.0.0.1', 2222)", 'Traceback: x', "Error handling client ('127.0.0.1', 2222): boom"];
    expect(ownLines(lines, new Set([2222]))).toEqual(lines.slice(1));
    // Issue 22: a case whose own connection printed nothing with its port still loses the other
    // client's lines (the old rule kept every line then, and the hint quoted another connection).
    expect(ownLines(lines, new Set([9999]))).toEqual(['Traceback: x']);
  });

  test("the cause is drawn only from lines provably the case's; what cannot be told is shown, and said", () => {
    const lines = ["Error handling client ('127.0.0.1', 1111): Expecting value: line 1 column 1 (char 0)", 'Error saving image: Incomplete image size received', "Error handling client ('127.0.0.1', 2222): 'utf-8' codec can't decode byte 0x88 in position 4: invalid start byte"];
    // The ports known, the server settled before the window: a line naming no client is the case's.
    expect(caseEvidence(lines, new Set([2222]), { settled: true })).toEqual({ shown: lines.slice(1), cause: lines.slice(1), unattributed: false });
    // Not settled (a thread still busy from the previous case): a line naming no client is shown, never the cause.
    expect(caseEvidence(lines, new Set([2222]), { settled: false })).toEqual({ shown: lines.slice(1), cause: [lines[2]], unattributed: false });
    // The ports not known (a relay that did not say): every line is shown; only a settled unnamed line may be the cause.
    expect(caseEvidence(lines, undefined, { settled: true })).toEqual({ shown: lines, cause: [lines[1]], unattributed: true });
    // The server's own listening port is not another client.
    expect(caseEvidence(["Client 127.0.0.1:5001 <- ('127.0.0.1', 2222): boom", 'listening on 127.0.0.1:5001'], new Set([2222]), { settled: true, serverPort: 5001 }).shown).toHaveLength(2);
  });

  test('the first error is the cause: a decode error that follows a failed image does not choose the advice', () => {
    const own = ['Error saving image: Incomplete image size received', "Error handling client ('127.0.0.1', 2222): 'utf-8' codec can't decode byte 0x88 in position 4: invalid start byte"];
    const hint = evidenceHint(own, 'receive_image must keep reading until all 8 bytes of the length have arrived.');
    expect(hint).toBe('receive_image must keep reading until all 8 bytes of the length have arrived. (Your server said: Error saving image: Incomplete image size received)');
    // The same decode error first is the cause, and gets its own advice.
    expect(evidenceHint([...own].reverse())).toContain('decode only once the whole message is in');
  });

  test('the hint follows the evidence: a UTF-8 decode error gets the decode-once advice', () => {
    const hint = evidenceHint(["Error handling client ('127.0.0.1', 5): 'utf-8' codec can't decode byte 0xd8 in position 79: unexpected end of data"]);
    expect(hint).toContain('decode only once the whole message is in; a character can be split across reads');
    // A scenario hint that already fits the cause stays, quoting the server after it.
    expect(evidenceHint(['struct.error: unpack requires a buffer of 8 bytes'], 'receive_image must keep reading until all 8 bytes have arrived.'))
      .toBe('receive_image must keep reading until all 8 bytes have arrived. (Your server said: struct.error: unpack requires a buffer of 8 bytes)');
    expect(evidenceHint(['struct.error: unpack requires a buffer of 8 bytes'])).toContain('receive_image');
    expect(evidenceHint(['Connection from x'])).toBeUndefined();
  });

  test('the grader charges the function a traceback names', () => {
    const traceback = 'Traceback (most recent call last):\n  File "server.py", line 9, in handle_client\n  File "socket_utils.py", line 40, in receive_image\nstruct.error: x';
    expect(blameOf({ requirements: ['FRAME-3'], verdict: 'FAILED' }, traceback)).toBe('receive_image');
  });

  test('a student server that decodes each chunk: the case carries its decode error, the hint fits it, every report shows it', async () => {
    const report = await runSuite({
      target: spawnedTarget({ command: 'python3 server.py --port {port}', cwd: `${SUBMISSIONS}utf8-early-decode` }),
      cases: ['2.1.1', '4.1.1', '4.2.2'],
    });
    expect(RunReport.safeParse(report).success).toBe(true);
    const c = report.cases.find((x) => x.id === '4.2.2') as CaseResult;
    expect(c.verdict).toBe('FAILED');
    expect(c.serverOutput?.join('\n')).toMatch(/'utf-8' codec can't decode byte 0xd8 in position \d+: unexpected end of data/);
    expect(c.hint).toContain('decode only once the whole message is in');
    // Passing cases carry no server output.
    expect(report.cases.find((x) => x.id === '2.1.1')?.serverOutput).toBeUndefined();

    let terminal = '';
    const reporter = new ConsoleReporter({ write: (t) => (terminal += t), color: false });
    reporter.finish(report);
    const block = terminal.slice(terminal.indexOf('4.2.2'));
    expect(block.indexOf('server said:')).toBeGreaterThan(block.indexOf('actual:'));
    expect(block).toContain("codec can't decode byte 0xd8");

    const grade = SubmissionGrade.parse({
      format: GRADE_FORMAT_VERSION, kit: 'test', name: 'student', folder: 'student', source: 'folder', key: 'k', rubric: 'r', status: 'ok', total: 0, max: 1,
      gradedAt: new Date(0).toISOString(), durationMs: 1, sandbox: 'none', warnings: [], incidents: [],
      output: { stdout: '', stderr: '' }, clientOutput: '', tasks: [{ id: 't', title: 'T', points: 1, earned: 0, items: [{ name: 'i', points: 1, earned: 0, cases: [{ id: '4.2.2', weight: 1, credit: 0 }], unmatched: [] }] }],
      ungraded: [], cases: [{ id: '4.2.2', title: c.title, source: 'server', verdict: 'FAILED', requirements: c.requirements, actual: c.failure?.actual, serverOutput: c.serverOutput }],
    });
    expect(studentReportHtml(grade)).toMatch(/your server printed<\/b><pre>[^<]*codec can&#39;t decode byte 0xd8/);
  }, 60_000);

  test('a write cut short by an error reply says what the server answered, not only "closed"', async () => {
    const server = net.createServer((socket) => {
      socket.once('data', () => {
        socket.end('{"status": "error", "message": "Invalid request"}');
        socket.destroy();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    const conn = await ScenarioConnection.open('c', '127.0.0.1', port, 2000, new WireLog());
    try {
      const pieces = Array.from({ length: 40 }, () => Buffer.alloc(64 * 1024, 0x20));
      const error = await conn.write(pieces, 20, 'raw', 'the request').then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(StepFailure);
      expect((error as StepFailure).actual).toContain('the server answered {"status": "error", "message": "Invalid request"}');
    } finally {
      conn.destroy();
      server.close();
    }
  });
});

describe("behind the grader's sandbox relay, a case's evidence is its own connection's", () => {
  let tmp: string;
  let plan: SandboxPlan | undefined;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'evidence-relay-'));
    const probe = await probeBwrap();
    if (probe.ok) plan = await planSandbox('bwrap');
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  /** The grader's sandboxed target for a hand-in folder: its own network namespace, reached through the relay. */
  async function sandboxed(handIn: string): Promise<SandboxedTarget> {
    const python = await resolvePython();
    const base = path.join(tmp, `base-${path.basename(handIn)}`);
    await prepareWorkspace(handIn, base, { users: { count: 6, prefix: 'user', password: '123' } } as unknown as Rubric); // only users are read
    const limits = { cpuSeconds: 60, memoryMiB: 1024, processes: 32, fileSizeMiB: 64 };
    return new SandboxedTarget({
      baseWorkspace: base,
      scratch: path.join(tmp, `scratch-${path.basename(handIn)}`),
      command: [python.executable, 'server.py', '--port', '{port}'],
      wrap: (argv, ws, expose) => sandboxCommand(argv, ws, { plan: plan as SandboxPlan, limits, python, hide: [tmp], expose: [expose] }),
      readyMs: 15_000,
      outputLimitBytes: 256 * 1024,
      diskLimitBytes: 64 * 1024 * 1024,
      description: `${path.basename(handIn)}, isolated network`,
    });
  }

  test("the relay reports the port the server sees for each of the kit's connections", async (ctx) => {
    if (!plan?.isolatedNetwork) return ctx.skip();
    const target = await sandboxed(path.join(SUBMISSIONS, 'correct'));
    try {
      const instance = await target.start();
      const seen: (number | undefined)[] = [];
      for (let i = 0; i < 3; i += 1) {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ host: '127.0.0.1', port: instance.port }, () => resolve(s));
          s.once('error', reject);
        });
        socket.write('{"action": "get_all_users"}');
        await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no reply within 10 s')), 10_000);
          socket.once('data', () => resolve(clearTimeout(timer)));
        });
        seen.push(instance.serverSidePort?.(socket.localPort as number));
        socket.destroy();
      }
      // server.py prints "Connection from ('127.0.0.1', N)" with the port it sees: the relay's. It
      // prints in each client's own thread, and the readiness probe's connections print too, so on a
      // loaded machine a probe's line may come after one of ours (a fresh-clone CI run beside 4 busy
      // loops had it): each port of ours must be among the printed ones, not the last three in order.
      const printed = () => [...portsNamed((instance.outputBetween?.(0, performance.now()) ?? []).filter((l) => l.startsWith('Connection from')))];
      for (let i = 0; i < 300 && !seen.every((p) => printed().includes(p as number)); i += 1) await new Promise((r) => setTimeout(r, 100));
      expect(seen.every((p) => p !== undefined)).toBe(true);
      expect(new Set(seen).size).toBe(3);
      expect(printed()).toEqual(expect.arrayContaining(seen));
      await instance.stop();
    } finally {
      await target.abort();
    }
  }, 90_000);

  test('5.2.2 shows receive_image\'s own error and its hint quotes it, not another line of the window', async (ctx) => {
    if (!plan?.isolatedNetwork) return ctx.skip();
    const target = await sandboxed(await wrongHintHandIn(path.join(tmp, 'hand-in')));
    try {
      const report = await runSuite({ target, cases: ['5.1.1', '5.2.2'] });
      expect(report.cases.find((x) => x.id === '5.1.1')?.verdict).toBe('PASSED');
      const c = report.cases.find((x) => x.id === '5.2.2') as CaseResult;
      expect(c.verdict).toBe('FAILED');
      const output = c.serverOutput ?? [];
      expect(output).toContain('Error saving image: Incomplete image size received');
      // One connection ran 5.2.2 (u5): every line that names a client names that one.
      expect([...portsNamed(output)], output.join('\n')).toHaveLength(1);
      expect(output.join('\n')).not.toContain('Expecting value');
      // The hint is chosen from the cause, the first error of the case's own connection.
      expect(c.hint).toContain('Incomplete image size received');
      expect(c.hint).toContain('receive_image');
      expect(c.hint).not.toContain("codec can't decode");
    } finally {
      await target.abort();
    }
  }, 120_000);
});

// A server whose connection threads print a line 150 ms after their client closed (or, with --spin,
// spin for good instead): what a previous case's connection prints late.
const LATE_SERVER = `import socket, sys, threading, time
port = int(sys.argv[sys.argv.index('--port') + 1])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', port))
srv.listen(5)
print(f'Server listening on 127.0.0.1:{port}', flush=True)
def handle(conn, addr):
    while conn.recv(4096):
        pass
    if '--spin' in sys.argv:
        while True:
            pass
    time.sleep(0.15)
    print(f'Late line of {addr}', flush=True)
    conn.close()
while True:
    c, a = srv.accept()
    threading.Thread(target=handle, args=(c, a), daemon=True).start()
`;

describe("a case's window opens once the previous case's threads are done", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'evidence-window-'));
    await mkdir(path.join(dir, 'data'), { recursive: true });
    await writeFile(path.join(dir, 'late.py'), LATE_SERVER);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function closeOneConnection(port: number): Promise<void> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
    socket.destroy();
  }

  test('a line a closed connection prints late falls before the window', async () => {
    const instance = await spawnedTarget({ command: 'python3 late.py --port {port}', cwd: dir }).start();
    try {
      await closeOneConnection(instance.port);
      const window = await openEvidenceWindow(instance);
      expect(window.settled).toBe(true);
      expect(instance.outputBetween?.(0, performance.now()).some((l) => l.startsWith('Late line'))).toBe(true);
      expect(instance.outputBetween?.(window.from, performance.now())).toEqual([]);
    } finally {
      await instance.stop();
    }
  }, 180_000);

  test('a server that never settles opens the window anyway, saying it did not settle', async () => {
    const instance = await spawnedTarget({ command: 'python3 late.py --spin --port {port}', cwd: dir }).start();
    try {
      await closeOneConnection(instance.port);
      expect((await openEvidenceWindow(instance)).settled).toBe(false);
      expect((await openEvidenceWindow(instance)).settled).toBe(false);
    } finally {
      await instance.stop();
    }
  }, 180_000);
});

