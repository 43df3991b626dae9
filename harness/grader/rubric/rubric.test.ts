import { describe, expect, it } from 'vitest';
import { RubricError } from '../errors.ts';
import { loadRubric, parseRubric } from './loader.ts';
import { costsPoints, scoreSubmission, unmatchedPatterns, type CaseOutcome } from './score.ts';
import { totalPoints } from './format.ts';

const outcome = (id: string, verdict: CaseOutcome['verdict']): CaseOutcome => ({
  id,
  title: id,
  verdict,
  requirements: [],
  source: id.startsWith('client.') ? 'client' : 'server',
});

const SMALL = `
name: test
version: 1
tasks:
  - id: t1
    title: Task one
    points: 10
    items:
      - name: glob item
        points: 6
        cases: ['1.1.*']
      - name: weighted item
        points: 4
        cases: [{ match: '1.2.1', weight: 3 }, '1.2.2']
ungraded:
  - { id: extra, title: Extra, cases: ['7.*'] }
`;

describe('rubric loading', () => {
  it('loads the course rubric: Tasks 1-6 worth 100 points', async () => {
    const { rubric, hash } = await loadRubric();
    expect(rubric.tasks.map((t) => t.id)).toEqual(['task1', 'task2', 'task3', 'task4', 'task5', 'task6']);
    expect(totalPoints(rubric)).toBe(100);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const task3 = rubric.tasks[2];
    expect(task3?.items.some((i) => /partial messages/i.test(i.name) && i.cases.includes('3.3.*'))).toBe(true);
    const task5 = rubric.tasks[4];
    expect(task5?.items.some((i) => /chunking or buffer handling/i.test(i.name) && i.cases.includes('5.2.*'))).toBe(true);
  });

  it('reports an unknown key with its file, line and the allowed keys', () => {
    const text = SMALL.replace("        points: 6\n", "        points: 6\n        weigth: 2\n");
    let error: unknown;
    try {
      parseRubric(text, 'r.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RubricError);
    expect((error as RubricError).code).toBe('INSTANET_ERR_RUBRIC');
    expect((error as RubricError).message).toMatch(/^r\.yaml:11: tasks\.0\.items\.0: unknown key "weigth" \(allowed: name, points, cases\)/);
  });

  it('rejects items that do not add up to the task, and YAML syntax errors, with a line', () => {
    expect(() => parseRubric(SMALL.replace('points: 10', 'points: 12'), 'r.yaml')).toThrow(/r\.yaml:7: .*worth 12 points but its items add up to 10/);
    expect(() => parseRubric('name: [unclosed\n', 'bad.yaml')).toThrow(/bad\.yaml:\d+: not valid YAML/);
  });
});

describe('scoring', () => {
  const rubric = parseRubric(SMALL);

  it('gives each item the weighted share of its cases that passed', () => {
    const score = scoreSubmission(rubric, [
      outcome('1.1.1', 'PASSED'),
      outcome('1.1.2', 'FAILED'),
      outcome('1.1.3', 'INFORMATIONAL'),
      outcome('1.2.1', 'PASSED'),
      outcome('1.2.2', 'FAILED'),
      outcome('7.1.1', 'PASSED'),
    ]);
    const [glob, weighted] = score.tasks[0]?.items ?? [];
    expect(glob?.earned).toBe(4); // 2 of 3 cases: INFORMATIONAL is not held against the student
    expect(weighted?.earned).toBe(3); // weight 3 of 4
    expect(score.total).toBe(7);
    expect(score.max).toBe(10);
    expect(score.ungraded[0]?.passed).toBe(1);
  });

  it('counts NON-STRICT, SKIPPED and ERROR as missed, and rounds to cents', () => {
    const score = scoreSubmission(rubric, [
      outcome('1.1.1', 'NON-STRICT'),
      outcome('1.1.2', 'SKIPPED'),
      outcome('1.1.3', 'PASSED'),
      outcome('1.2.1', 'ERROR'),
      outcome('1.2.2', 'PASSED'),
    ]);
    expect(score.tasks[0]?.items.map((i) => i.earned)).toEqual([2, 1]);
    expect(scoreSubmission(rubric, [outcome('1.1.1', 'PASSED'), outcome('1.1.2', 'FAILED'), outcome('1.1.3', 'FAILED')]).total).toBe(2);
  });

  it('credits can be changed by the rubric', () => {
    const lenient = parseRubric(`${SMALL}credit: { NON-STRICT: 0.5 }\n`);
    const score = scoreSubmission(lenient, [outcome('1.1.1', 'NON-STRICT'), outcome('1.2.1', 'PASSED'), outcome('1.2.2', 'PASSED')]);
    expect(score.total).toBe(7);
  });

  it('lists rubric patterns that match no case', () => {
    expect(unmatchedPatterns(rubric, ['1.1.1'])).toEqual(['t1 / weighted item: 1.2.1', 't1 / weighted item: 1.2.2']);
  });

  it('says which verdicts cost points: graded cases credited below a pass (what the second look re-judges)', async () => {
    const { rubric: course } = await loadRubric();
    const costs = costsPoints(course);
    // Task 5 grades 5.2.*; groups 7-9 are reported, not graded (the rubric's header says why).
    expect(costs({ id: '5.2.1', verdict: 'FAILED' })).toBe(true);
    expect(costs({ id: '5.2.1', verdict: 'SKIPPED' })).toBe(true);
    expect(costs({ id: '5.2.1', verdict: 'PASSED' })).toBe(false);
    // An INFORMATIONAL miss is credited in full by default: nothing to re-judge.
    expect(costs({ id: '5.2.1', verdict: 'INFORMATIONAL' })).toBe(false);
    expect(costs({ id: '7.9.1', verdict: 'FAILED' })).toBe(false);
    const lenient = parseRubric(`${SMALL}credit: { NON-STRICT: 1 }\n`);
    expect(costsPoints(lenient)({ id: '1.1.1', verdict: 'NON-STRICT' })).toBe(false);
    expect(costsPoints(rubric)({ id: '1.1.1', verdict: 'NON-STRICT' })).toBe(true);
  });
});
