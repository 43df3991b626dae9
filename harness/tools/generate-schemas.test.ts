import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ACTIONS } from '../../spec/messages/index.ts';
import { isRequirementId, SECTION_TITLES } from '../../spec/requirements.ts';
import { INVALID_EXAMPLES, VALID_EXAMPLES } from '../../spec/messages/examples.ts';
import { findDrift, INDEX_FILE, isGeneratedFileName, renderSchemas, SCHEMAS_DIR, SchemaRegistryError, writeSchemas } from './generate-schemas.ts';
import { SCHEMA_REGISTRY } from './schema-registry.ts';

// ajv-formats is CommonJS: under NodeNext its plugin function is the module's `default` property.
const addFormats = addFormatsModule.default;

const rendered = renderSchemas();

describe('schemas/ is up to date (run `npm run schemas` when this fails)', () => {
  it('holds exactly the generated files', async () => {
    const committed = (await readdir(SCHEMAS_DIR)).filter(isGeneratedFileName).sort();
    expect(committed, 'extra or missing files in schemas/: run `npm run schemas`').toEqual([...rendered.keys()].sort());
  });

  it.each([...rendered.keys()])('%s matches its generated content', async (name) => {
    const committed = await readFile(path.join(SCHEMAS_DIR, name), 'utf8');
    expect(committed === rendered.get(name), `schemas/${name} differs from the Zod definitions: run \`npm run schemas\``).toBe(true);
  });

  it('covers every action, the acknowledgements and the stored records', () => {
    expect(SCHEMA_REGISTRY.filter((e) => e.group !== 'harness').length).toBeGreaterThanOrEqual(25);
    const names = new Set(SCHEMA_REGISTRY.map((e) => e.name));
    for (const action of ACTIONS) {
      const kebab = action.replaceAll('_', '-');
      expect(names.has(`${kebab}-request`), `${kebab}-request`).toBe(true);
      expect(names.has(`${kebab}-reply`), `${kebab}-reply`).toBe(true);
    }
    for (const name of ['error-reply', 'ready-ack', 'image-success-ack', 'image-error-ack', 'users-file', 'user-record', 'posts-file', 'post-entry', 'conversation-file', 'message-entry', 'comment-entry'])
      expect(names.has(name), name).toBe(true);
  });
});

describe('generator', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('writes stable 2-space JSON with a trailing newline and an index', () => {
    for (const [name, content] of rendered) {
      expect(content.endsWith('}\n'), name).toBe(true);
      expect(JSON.stringify(JSON.parse(content), null, 2) + '\n').toBe(content);
    }
    expect(renderSchemas()).toEqual(rendered);
    const index = JSON.parse(rendered.get(INDEX_FILE) as string) as { schemas: { name: string; file: string; title: string; description: string }[] };
    expect(index.schemas.map((s) => s.file)).toEqual(SCHEMA_REGISTRY.map((e) => `${e.name}.schema.json`));
    for (const s of index.schemas) expect(s.description.length, s.name).toBeGreaterThan(10);
  });

  it('replaces stale files it owns and leaves other files alone', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'instanet-schemas-'));
    dirs.push(dir);
    await writeFile(path.join(dir, 'old-thing.schema.json'), '{}');
    await writeFile(path.join(dir, 'README.md'), 'keep');
    const result = await writeSchemas(dir);
    expect(result.removed).toEqual(['old-thing.schema.json']);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['README.md', ...rendered.keys()].sort());
  });

  it('reports drift for --check', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'instanet-schemas-'));
    dirs.push(dir);
    await writeSchemas(dir);
    expect(await findDrift(dir)).toEqual([]);
    await writeFile(path.join(dir, 'login-reply.schema.json'), '{}\n');
    await rm(path.join(dir, 'ready-ack.schema.json'));
    await writeFile(path.join(dir, 'gone.schema.json'), '{}\n');
    expect((await findDrift(dir)).sort()).toEqual(['gone.schema.json (stale)', 'login-reply.schema.json (differs)', 'ready-ack.schema.json (missing)']);
  });

  it('names only registered schemas in spec/protocol.md', async () => {
    const protocol = await readFile(new URL('../../spec/protocol.md', import.meta.url), 'utf8');
    const names = new Set(SCHEMA_REGISTRY.map((e) => e.name));
    const cited = [...protocol.matchAll(/`(?:schemas\/)?([a-z]+(?:-[a-z]+)*-(?:request|reply|ack|file|entry|envelope|post|data|record|header|event))(?:\.schema\.json)?`/g)].map((m) => m[1] as string);
    expect(cited.length).toBeGreaterThan(30);
    expect(cited.filter((n) => !names.has(n))).toEqual([]);
  });

  it('cites only catalogue requirement IDs in descriptions', () => {
    const id = new RegExp(`\\b(?:${Object.keys(SECTION_TITLES).join('|')})-\\d+\\b`, 'g');
    const cited = [...rendered.values()].flatMap((content) => [...content.matchAll(id)].map((m) => m[0]));
    expect(cited.length).toBeGreaterThan(40);
    expect(cited.filter((c) => !isRequirementId(c))).toEqual([]);
  });

  it('refuses a bad registry', () => {
    const schema = z.object({}).describe('d');
    const entry = { name: 'ok-name', title: 't', group: 'harness', schema } as const;
    expect(() => renderSchemas([entry, entry])).toThrow(SchemaRegistryError);
    expect(() => renderSchemas([{ ...entry, name: 'Bad_Name' }])).toThrow(/kebab-case/);
    expect(() => renderSchemas([{ ...entry, schema: z.object({}) }])).toThrow(/no .describe/);
    try {
      renderSchemas([entry, entry]);
    } catch (error) {
      expect((error as SchemaRegistryError).code).toBe('INSTANET_ERR_SCHEMA_REGISTRY');
    }
  });
});

describe('the generated schemas validate like the Zod definitions', () => {
  // strict: false because the files carry $comment/description keywords ajv's strict mode flags
  // only in unusual positions; unknown formats would still throw.
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validators = new Map<string, ValidateFunction>();
  for (const [name, content] of rendered) {
    if (name === INDEX_FILE) continue;
    validators.set(name.replace(/\.schema\.json$/, ''), ajv.compile(JSON.parse(content) as object));
  }
  const format = (e: ErrorObject) => `${e.instancePath || '(root)'} ${e.message ?? e.keyword}`;
  const validator = (name: string) => {
    const found = validators.get(name);
    if (!found) throw new Error(`no generated schema ${name}`);
    return found;
  };

  it('compiles every schema', () => {
    expect(validators.size).toBe(SCHEMA_REGISTRY.length);
  });

  it.each(VALID_EXAMPLES.map((e) => [e.schema, e.bytes] as const))('%s accepts %s', (name, bytes) => {
    const validate = validator(name);
    const ok = validate(JSON.parse(bytes));
    expect((validate.errors ?? []).map(format), 'errors').toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(INVALID_EXAMPLES.map((e) => [e.schema, e.why, e] as const))('%s rejects: %s', (name, _why, example) => {
    const validate = validator(name);
    expect(validate(example.value)).toBe(false);
    const errors = (validate.errors ?? []).map(format);
    expect(errors.some((e) => e.startsWith(example.ajvError)), `${errors.join('; ')} should include "${example.ajvError}"`).toBe(true);
  });
});
