import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { LineCounter, isMap, isNode, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { RubricError } from '../errors.ts';
import { Rubric } from './format.ts';

export const DEFAULT_RUBRIC_PATH = fileURLToPath(new URL('../../../fixtures/rubrics/cpe356.yaml', import.meta.url));

export interface LoadedRubric {
  readonly rubric: Rubric;
  readonly file: string;
  /** sha256 of the file's bytes: part of every resume key, so editing the rubric regrades. */
  readonly hash: string;
}

export async function loadRubric(file: string = DEFAULT_RUBRIC_PATH): Promise<LoadedRubric> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new RubricError(file, undefined, `cannot read the rubric (${(error as Error).message})`);
  }
  return { rubric: parseRubric(text, file), file, hash: createHash('sha256').update(text).digest('hex') };
}

export function parseRubric(text: string, file = '<rubric>'): Rubric {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = lines.linePos(yamlError.pos[0]).line;
    throw new RubricError(file, line, `not valid YAML: ${yamlError.message.split('\n')[0]}`);
  }
  const parsed = Rubric.safeParse(doc.toJS());
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0] as z.ZodIssue;
  // An unknown key is reported on its own line, not on its parent's.
  const path = issue.code === 'unrecognized_keys' && issue.keys[0] ? [...issue.path, issue.keys[0]] : issue.path;
  const node = nodeAt(doc.contents, path);
  const line = node?.range ? lines.linePos(node.range[0]).line : undefined;
  throw new RubricError(file, line, describeIssue(issue));
}

function describeIssue(issue: z.ZodIssue): string {
  const where = issue.path.length ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(issue.path);
    return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` +
      (allowed.length ? ` (allowed: ${allowed.join(', ')})` : '');
  }
  return `${where}: ${issue.message}`;
}

// The allowed keys are read off the Zod schema at the issue's path, so the message never goes stale.
function allowedKeys(path: (string | number)[]): string[] {
  let schema: z.ZodTypeAny = Rubric;
  for (const step of [...path, null]) {
    for (;;) {
      if (schema instanceof z.ZodEffects) schema = schema.innerType();
      else if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) schema = schema._def.innerType;
      else break;
    }
    if (step === null) break;
    if (schema instanceof z.ZodObject && typeof step === 'string') schema = (schema.shape as Record<string, z.ZodTypeAny>)[step] ?? z.never();
    else if (schema instanceof z.ZodArray && typeof step === 'number') schema = schema.element;
    else if (schema instanceof z.ZodUnion) {
      const obj = (schema.options as z.ZodTypeAny[]).find((o) => o instanceof z.ZodObject);
      if (!obj) return [];
      schema = obj;
      if (typeof step === 'string') schema = ((obj as z.ZodObject<z.ZodRawShape>).shape as Record<string, z.ZodTypeAny>)[step] ?? z.never();
    } else return [];
  }
  if (schema instanceof z.ZodUnion) schema = (schema.options as z.ZodTypeAny[]).find((o) => o instanceof z.ZodObject) ?? schema;
  return schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : [];
}

function nodeAt(root: unknown, path: (string | number)[]): YamlNode | undefined {
  let node: unknown = root;
  let last: YamlNode | undefined = isNode(root) ? root : undefined;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isNode(p.key) ? (p.key as { value?: unknown }).value : p.key) === step);
      if (!pair) break;
      node = pair.value;
      if (isNode(pair.key)) last = pair.key;
      if (isNode(node)) last = node;
    } else if (isSeq(node) && typeof step === 'number') {
      node = node.items[step];
      if (isNode(node)) last = node;
      else break;
    } else break;
  }
  return last;
}
