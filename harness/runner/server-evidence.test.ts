import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { studentReportHtml } from '../grader/student-report.ts';
import { blameOf } from '../grader/blame.ts';
import { GRADE_FORMAT_VERSION, SubmissionGrade } from '../grader/grade-format.ts';
import { ConsoleReporter } from '../reporters/console.ts';
import { spawnedTarget } from '../targets/spawned-target.ts';
import { TimedLines } from '../process/timed-lines.ts';
import { ScenarioConnection } from './connection.ts';
import { evidenceHint } from './evidence-hints.ts';
import { CaseResult, RunReport } from './report-format.ts';
import { runSuite } from './run-suite.ts';
import { ownLines } from './server-evidence.ts';
import { StepFailure } from './step-failure.ts';
import { WireLog } from './wire-log.ts';

// Issue 11, point 5: the student server's own words are evidence of the case that was running.

const SUBMISSIONS = fileURLToPath(new URL('../../fixtures/submissions/', import.meta.url));

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
    // Behind the grader's relay the server sees other ports: then nothing is dropped.
    expect(ownLines(lines, new Set([9999]))).toEqual(lines);
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
