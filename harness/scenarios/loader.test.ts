import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { isRequirementId } from '../../spec/requirements.ts';
import { ScenarioFormatError } from './errors.ts';
import { checkSuite, DEFAULT_SCENARIO_DIR, executionOrder, loadScenarios, parseScenarioFile, type LoadedScenario } from './loader.ts';

const HEADER = '# yaml-language-server: $schema=../../schemas/scenario.schema.json\n';

function problemsOf(text: string): string[] {
  try {
    parseScenarioFile(text, 'x.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioFormatError);
    expect((error as ScenarioFormatError).code).toBe('INSTANET_ERR_SCENARIO_FORMAT');
    return (error as ScenarioFormatError).message.split('\n');
  }
  throw new Error('expected a ScenarioFormatError');
}

const valid = `${HEADER}group: 4
title: DMs
scenarios:
  - id: 4.1.1
    title: t
    tasks: [4]
    requirements: [DM-1]
    level: MUST
    clients:
      a: {login: user1}
    steps:
      - send: {action: get_all_users}
        expect: {status: success}
`;

describe('scenario loader', () => {
  test('a valid file loads with its position and group', () => {
    const [s] = parseScenarioFile(valid, 'x.yaml');
    expect(s).toMatchObject({ id: '4.1.1', group: 4, groupTitle: 'DMs', file: 'x.yaml', line: 5 });
  });

  test('a misspelt step key is reported with file, line, column and the allowed keys', () => {
    const lines = problemsOf(valid.replace('        expect: {status: success}', '        expct: {status: success}'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^x\.yaml:14:9: unknown key "expct" in step; allowed: client, label, send, raw, image, /);
    expect(lines[0]).toContain('expect');
    expect(lines[0]).toContain('expectClosed');
  });

  test('a misspelt key in a nested object names that object and its keys', () => {
    const text = valid.replace('        expect: {status: success}', '        image: {size: 10, chunkk: 2}\n        expect: {status: success}');
    expect(problemsOf(text)[0]).toMatch(/^x\.yaml:14:27: unknown key "chunkk" in image; allowed: size, file, splitHeader, chunk, delayMs, disconnectAfter, announce$/);
    const client = valid.replace('a: {login: user1}', 'a: {logn: user1}');
    expect(problemsOf(client)[0]).toMatch(/^x\.yaml:11:11: unknown key "logn" in client; allowed: login, password$/);
    const scenario = valid.replace('    level: MUST', '    level: MUST\n    dependss: [2.1.1]');
    expect(problemsOf(scenario)[0]).toMatch(/^x\.yaml:10:5: unknown key "dependss" in scenario; allowed: id, title, /);
  });

  test('bad values, unknown requirements and matchers are reported where they are', () => {
    expect(problemsOf(valid.replace('[DM-1]', '[DM-99]'))[0]).toMatch(/^x\.yaml:8:\d+: .*unknown requirement ID "DM-99"/);
    expect(problemsOf(valid.replace('level: MUST', 'level: MAYBE'))[0]).toMatch(/^x\.yaml:9:\d+: .*level/);
    expect(problemsOf(valid.replace('{status: success}', '{status: {$regx: ok}}'))[0]).toMatch(/unknown matcher "\$regx"/);
    expect(problemsOf(valid.replace('{status: success}', '{status: {$regex: "("}}'))[0]).toMatch(/\$regex: /);
    expect(problemsOf(valid.replace('id: 4.1.1', 'id: 5.1.1'))[0]).toMatch(/not in group 4/);
    expect(problemsOf(valid.replace('      - send: {action: get_all_users}\n', '      - client: b\n        send: {action: get_all_users}\n'))[0]).toMatch(/client "b", which is not declared/);
  });

  test('a step must do exactly one thing', () => {
    expect(problemsOf(valid.replace('      - send:', '      - pause: 5\n        send:'))[0]).toMatch(/a step does one thing; found send and pause/);
    expect(problemsOf(valid.replace('      - send: {action: get_all_users}\n        expect: {status: success}', '      - client: a'))[0]).toMatch(/a step needs one of/);
  });

  test('a level stronger than every cited requirement is refused', () => {
    expect(problemsOf(valid.replace('[DM-1]', '[CONN-3]'))[0]).toMatch(/level MUST is stronger than any requirement it cites \(CONN-3\)/);
  });

  test('YAML syntax errors carry their position', () => {
    expect(problemsOf(`${HEADER}group: 4\ntitle: [unclosed\n`)[0]).toMatch(/^x\.yaml:\d+:\d+: YAML: /);
  });

  test('suite checks: duplicate ids, unknown dependencies, cycles', () => {
    const [s] = parseScenarioFile(valid, 'x.yaml') as [LoadedScenario];
    expect(() => checkSuite([s, { ...s }])).toThrow(/duplicate case id 4\.1\.1/);
    expect(() => checkSuite([{ ...s, depends: ['9.9.9'] }])).toThrow(/unknown case 9\.9\.9/);
    const a = { ...s, id: '4.1.1', depends: ['4.1.2'] };
    const b = { ...s, id: '4.1.2', depends: ['4.1.1'] };
    expect(() => checkSuite([a, b])).toThrow(/dependency cycle: 4\.1\.1 -> 4\.1\.2 -> 4\.1\.1/);
  });

  test('cases run group by group, after the groups they depend on', () => {
    const mk = (id: string, depends?: string[]) => ({ id, ...(depends ? { depends } : {}) });
    const order = executionOrder([mk('1.1.1', ['2.1.1']), mk('1.1.2'), mk('2.1.1'), mk('2.1.2', ['2.1.3']), mk('2.1.3'), mk('3.1.1', ['2.1.1'])]);
    expect(order.map((c) => c.id)).toEqual(['2.1.1', '2.1.3', '2.1.2', '1.1.1', '1.1.2', '3.1.1']);
  });
});

describe('the shipped scenarios', () => {
  test('load, cover groups 1-9 and cite only known requirements', async () => {
    const all = await loadScenarios();
    expect(all.length).toBeGreaterThanOrEqual(60);
    expect([...new Set(all.map((s) => s.group))]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const s of all) for (const r of s.requirements) expect(isRequirementId(r), `${s.id} cites ${r}`).toBe(true);
    // Tasks 1-6 each have cases, and the Task 3 / Task 5 sub-themes the rubric names are present.
    for (const task of [1, 2, 3, 4, 5, 6]) expect(all.some((s) => s.tasks.includes(task)), `task ${task}`).toBe(true);
    expect(all.some((s) => s.id.startsWith('3.') && /partial messages/i.test(s.title))).toBe(true);
    expect(all.some((s) => s.id.startsWith('5.') && /chunking|buffer handling/i.test(s.title))).toBe(true);
  });

  test('every file names the generated JSON Schema and validates against it (what editors check)', async () => {
    const schema = JSON.parse(await readFile(path.join(DEFAULT_SCENARIO_DIR, '../../schemas/scenario.schema.json'), 'utf8')) as object;
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const files = (await readdir(DEFAULT_SCENARIO_DIR)).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBe(9);
    for (const f of files) {
      const text = await readFile(path.join(DEFAULT_SCENARIO_DIR, f), 'utf8');
      expect(text.startsWith(HEADER), f).toBe(true);
      expect(validate(parse(text)), `${f}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
    }
  });
});
