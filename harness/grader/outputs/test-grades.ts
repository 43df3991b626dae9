import { GRADE_FORMAT_VERSION, type SubmissionGrade } from './grade-format.ts';

// Synthetic grades for the output tests (gradebook, Gradescope, dashboard, merge): small, readable,
// and valid against SubmissionGrade.

export function makeGrade(name: string, earned: [number, number], overrides: Partial<SubmissionGrade> = {}): SubmissionGrade {
  const [a, b] = earned;
  return {
    format: GRADE_FORMAT_VERSION,
    kit: '0.0.0-test',
    rubric: 'Test course',
    name,
    folder: name.replace(/[^A-Za-z0-9._-]+/g, '_'),
    source: 'folder',
    located: '.',
    key: `key-${name}`,
    status: 'ok',
    sandbox: 'none',
    gradedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1500,
    total: a + b,
    max: 30,
    tasks: [
      {
        id: 'task1',
        title: 'Task 1: Friends',
        points: 10,
        earned: a,
        items: [{ name: 'Friend requests', points: 10, earned: a, cases: [{ id: '3.1.1', weight: 1, credit: a === 10 ? 1 : 0 }], unmatched: [] }],
      },
      {
        id: 'task2',
        title: 'Task 2: Images',
        points: 20,
        earned: b,
        items: [{ name: 'Image <upload>', points: 20, earned: b, cases: [{ id: 'client.5.1', weight: 1, credit: b === 20 ? 1 : 0 }], unmatched: [] }],
      },
    ],
    ungraded: [{ id: 'robustness', title: 'Robustness', cases: ['7.1.1'], passed: 0 }],
    cases: [
      { id: '3.1.1', title: 'send_friend_request replies', source: 'server', verdict: a === 10 ? 'PASSED' : 'FAILED', requirements: ['FRQ-1'], ...(a === 10 ? {} : { hint: 'Keep reading until the whole message arrived.', expected: '{"status": "success"}', actual: '<no reply>' }) },
      { id: 'client.5.1', title: 'upload <b>post</b>', source: 'client', verdict: b === 20 ? 'PASSED' : 'FAILED', requirements: ['CLNT-1'], ...(b === 20 ? {} : { hint: 'Wait for {"status": "ready"} before sending the image.' }) },
      { id: '7.1.1', title: 'Unknown action', source: 'server', verdict: 'NON-STRICT', requirements: ['ERR-1'] },
    ],
    incidents: [],
    warnings: [],
    output: { stdout: '', stderr: '' },
    clientOutput: '',
    ...overrides,
  };
}
