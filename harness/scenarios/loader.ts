import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { ZodIssue } from 'zod';
import { requirement } from '../../spec/requirements.ts';
import { ScenarioFormatError, type ScenarioProblem } from './errors.ts';
import { InstaNetError } from '../errors.ts';
import { ScenarioFile, type Scenario, type Step } from './format.ts';
import { allowedKeysAt } from './zod-walk.ts';

export const DEFAULT_SCENARIO_DIR = fileURLToPath(new URL('../../fixtures/scenarios/', import.meta.url));

export interface LoadedScenario extends Scenario {
  /** The file it came from, and the line of its id, for error messages and reports. */
  file: string;
  line: number;
  group: number;
  groupTitle: string;
}

// What to call the object a bad key sits in, from the key that holds it.
const NOUNS: Record<string, string> = {
  scenarios: 'scenario',
  steps: 'step',
  parallel: 'step',
  clients: 'client',
  image: 'image',
  shape: 'shape',
  encoding: 'encoding',
  raw: 'raw',
  eventually: 'eventually',
  concurrent: 'concurrent',
  files: 'files',
  dm: 'dm',
  hint: 'hint',
};

function nounFor(p: readonly (string | number)[]): string {
  for (let i = p.length - 1; i >= 0; i -= 1) {
    const k = p[i];
    if (typeof k === 'string') {
      // clients.<name> is a client; the name itself is a free key.
      if (i > 0 && p[i - 1] === 'clients') return 'client';
      return NOUNS[k] ?? `"${k}"`;
    }
  }
  return 'scenario file';
}

class Positions {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly file: string,
  ) {}

  at(p: readonly (string | number)[], key?: string): { line: number; col: number } {
    // Walk down as far as the path exists, so an issue about a missing key points at its parent.
    let node: unknown = this.doc.contents;
    for (const k of p) {
      const next = isNode(node) && 'get' in node ? (node as { get(k: unknown, keep: true): unknown }).get(k, true) : undefined;
      if (!isNode(next)) break;
      node = next;
    }
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((it) => isNode(it.key) && (it.key as { value?: unknown }).value === key);
      if (pair && isNode(pair.key) && pair.key.range) return this.pos(pair.key.range[0]);
    }
    const range = isNode(node) ? node.range : undefined;
    return this.pos(range ? range[0] : 0);
  }

  private pos(offset: number) {
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  problem(p: readonly (string | number)[], message: string, key?: string): ScenarioProblem {
    return { file: this.file, ...this.at(p, key), message };
  }
}

function describeIssue(issue: ZodIssue, positions: Positions): ScenarioProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(ScenarioFile, issue.path) ?? [];
    return issue.keys.map((key) =>
      positions.problem(issue.path, `unknown key "${key}" in ${nounFor(issue.path)}; allowed: ${allowed.join(', ')}`, key),
    );
  }
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  if (issue.code === 'invalid_type' && issue.received === 'undefined') {
    const key = issue.path[issue.path.length - 1];
    return [positions.problem(issue.path.slice(0, -1), `missing key "${String(key)}" in ${nounFor(issue.path.slice(0, -1))}`)];
  }
  if (issue.code === 'invalid_union') {
    // Report the branch that got furthest instead of Zod's generic "Invalid input".
    const branches = issue.unionErrors.map((e) => e.issues);
    const best = branches.sort((a, b) => depth(b) - depth(a))[0];
    if (best && best.length) return best.flatMap((i) => describeIssue(i, positions));
  }
  return [positions.problem(issue.path, `${where}${issue.message}`)];
}

const depth = (issues: ZodIssue[]) => Math.max(0, ...issues.map((i) => i.path.length));

const LEVEL_RANK = { MAY: 0, INFORMATIONAL: 0, SHOULD: 1, MUST: 2 } as const;

function stepClients(steps: readonly Step[], out: Set<string>): void {
  for (const s of steps) {
    if (s.client) out.add(s.client);
    if (s.parallel) stepClients(s.parallel, out);
    if (s.steps) stepClients(s.steps, out);
  }
}

/** Parses one scenario file's text; throws ScenarioFormatError listing every problem. */
export function parseScenarioFile(text: string, file: string): LoadedScenario[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    // After the first syntax error the parser's later complaints are mostly echoes of it.
    throw new ScenarioFormatError(
      doc.errors.slice(0, 3).map((e) => ({ file, ...lines.linePos(e.pos[0]), message: `YAML: ${e.message.split('\n')[0] ?? e.code}` })),
    );
  }
  const positions = new Positions(doc, lines, file);
  const parsed = ScenarioFile.safeParse(doc.toJS());
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((i) => describeIssue(i, positions));
    problems.sort((a, b) => a.line - b.line || a.col - b.col);
    throw new ScenarioFormatError(dedupe(problems));
  }
  const problems: ScenarioProblem[] = [];
  const out = parsed.data.scenarios.map((s, i): LoadedScenario => {
    const at = (key: string, message: string) => problems.push(positions.problem(['scenarios', i], message, key));
    if (!s.id.startsWith(`${parsed.data.group}.`)) at('id', `id ${s.id} is not in group ${parsed.data.group} of this file`);
    const used = new Set<string>();
    stepClients(s.steps, used);
    for (const name of used) if (!(name in s.clients)) at('steps', `step uses client "${name}", which is not declared in clients`);
    const strongest = Math.max(...s.requirements.map((id) => LEVEL_RANK[requirement(id).level]));
    if (LEVEL_RANK[s.level] > strongest) {
      at('level', `level ${s.level} is stronger than any requirement it cites (${s.requirements.join(', ')})`);
    }
    return { ...s, file, line: positions.at(['scenarios', i]).line, group: parsed.data.group, groupTitle: parsed.data.title };
  });
  if (problems.length) throw new ScenarioFormatError(problems);
  return out;
}

function dedupe(problems: ScenarioProblem[]): ScenarioProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.line}:${p.col}:${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export async function loadScenarioFile(file: string): Promise<LoadedScenario[]> {
  return parseScenarioFile(await readFile(file, 'utf8'), file);
}

/** Every *.yaml in a directory, sorted by case id; checks ids are unique and dependencies exist and come first. */
export async function loadScenarios(dir: string = DEFAULT_SCENARIO_DIR): Promise<LoadedScenario[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
  const problems: ScenarioProblem[] = [];
  const all: LoadedScenario[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      all.push(...(await loadScenarioFile(file)));
    } catch (error) {
      if (error instanceof ScenarioFormatError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length) throw new ScenarioFormatError(problems);
  return checkSuite(all);
}

export function compareIds(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

export function checkSuite(scenarios: LoadedScenario[]): LoadedScenario[] {
  const sorted = [...scenarios].sort((a, b) => compareIds(a.id, b.id));
  const problems: ScenarioProblem[] = [];
  const byId = new Map<string, LoadedScenario>();
  for (const s of sorted) {
    const first = byId.get(s.id);
    if (first) problems.push({ file: s.file, line: s.line, col: 1, message: `duplicate case id ${s.id} (first at ${first.file}:${first.line})` });
    else byId.set(s.id, s);
  }
  for (const s of sorted) {
    for (const d of [...(s.depends ?? []), ...(s.assumes ?? [])]) {
      if (!byId.has(d)) problems.push({ file: s.file, line: s.line, col: 1, message: `case ${s.id} depends on unknown case ${d}` });
    }
  }
  if (problems.length) throw new ScenarioFormatError(problems);
  try {
    executionOrder(sorted);
  } catch (error) {
    const s = (error as CycleError).scenario;
    throw new ScenarioFormatError([{ file: s.file, line: s.line, col: 1, message: error instanceof Error ? error.message : String(error) }]);
  }
  return sorted;
}

class CycleError extends InstaNetError<'INSTANET_ERR_SCENARIO_FORMAT'> {
  constructor(readonly scenario: LoadedScenario, path: string[]) {
    super('INSTANET_ERR_SCENARIO_FORMAT', `dependency cycle: ${path.join(' -> ')}`);
  }
}

/**
 * The order cases run in: by id, except that a case runs after the cases it depends on (so group 1
 * can depend on login in group 2). Dependencies outside the list are ignored.
 */
export function executionOrder<T extends { id: string; depends?: string[] | undefined }>(cases: readonly T[]): T[] {
  const byId = new Map(cases.map((c) => [c.id, c]));
  const done = new Set<string>();
  const visiting: string[] = [];
  const out: T[] = [];
  const visit = (c: T) => {
    if (done.has(c.id)) return;
    if (visiting.includes(c.id)) throw new CycleError(c as unknown as LoadedScenario, [...visiting.slice(visiting.indexOf(c.id)), c.id]);
    visiting.push(c.id);
    const deps = (c.depends ?? []).map((d) => byId.get(d)).filter((d): d is T => d !== undefined);
    deps.sort((a, b) => compareIds(a.id, b.id)).forEach(visit);
    visiting.pop();
    done.add(c.id);
    out.push(c);
  };
  groupOrder(cases).forEach(visit);
  return out;
}

const groupOf = (id: string) => Number(id.split('.')[0]);

/**
 * Cases sorted by group, groups ordered so that a group runs after the groups its cases depend on
 * (each group shares one server instance, so keeping a group together saves restarts).
 */
function groupOrder<T extends { id: string; depends?: string[] | undefined }>(cases: readonly T[]): T[] {
  const sorted = [...cases].sort((a, b) => compareIds(a.id, b.id));
  const groups = [...new Set(sorted.map((c) => groupOf(c.id)))];
  const needs = new Map(groups.map((g) => [g, new Set<number>()]));
  for (const c of sorted) {
    for (const d of c.depends ?? []) if (groupOf(d) !== groupOf(c.id) && needs.has(groupOf(d))) needs.get(groupOf(c.id))?.add(groupOf(d));
  }
  const ordered: number[] = [];
  while (ordered.length < groups.length) {
    const next = groups.find((g) => !ordered.includes(g) && [...(needs.get(g) ?? [])].every((n) => ordered.includes(n)));
    if (next === undefined) return sorted; // groups depend on each other both ways: plain id order
    ordered.push(next);
  }
  return ordered.flatMap((g) => sorted.filter((c) => groupOf(c.id) === g));
}
