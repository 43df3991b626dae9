import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { pythonJsonDumps } from '../../../spec/codec/index.ts';
import { CorruptDataFileError } from '../errors.ts';
import { makeTempDir } from '../testing/test-client.ts';
import { DataStore, encodeDataFile } from './data-store.ts';
import { JsonFile } from './json-file.ts';
import { createListEncoder } from './list-encoder.ts';
import { checkListDocument, copyList } from './documents.ts';
import type { JsonValue } from '../../../spec/codec/index.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await makeTempDir('instanet-store-');
  dirs.push(dir);
  return dir;
}

function listFile(path: string): JsonFile<JsonValue[]> {
  return new JsonFile<JsonValue[]>({ path, label: 'list.json', empty: () => [], copy: copyList, check: checkListDocument, encode: encodeDataFile });
}

describe('encodeDataFile', () => {
  it('is byte-identical to json.dumps(value, indent=4), also when re-encoding cached entries', () => {
    const json = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<JsonValue>;
    fc.assert(
      fc.property(fc.oneof(fc.array(json), fc.dictionary(fc.string(), json), json), (value) => {
        const expected = pythonJsonDumps(value, { indent: 4 });
        expect(encodeDataFile(value).toString('utf8')).toBe(expected);
        expect(encodeDataFile(value).toString('utf8')).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('JsonFile', () => {
  it('group-commits concurrent updates without losing any, in arrival order', async () => {
    const dir = await tempDir();
    const file = listFile(join(dir, 'list.json'));
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        file.update((draft) => {
          draft.push(i);
          return { changed: true, result: draft.length };
        }),
      ),
    );
    expect(new Set(results).size).toBe(300);
    expect(JSON.parse(await readFile(join(dir, 'list.json'), 'utf8'))).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it("writes the course's bytes: 4-space indent, ASCII escapes, no trailing newline", async () => {
    const dir = await tempDir();
    const file = listFile(join(dir, 'list.json'));
    await file.update((draft) => {
      draft.push({ user: 'عمر', text: '😀', n: 1.5, ok: true, none: null });
      return { changed: true, result: undefined };
    });
    expect(await readFile(join(dir, 'list.json'), 'utf8')).toBe(
      '[\n    {\n        "user": "\\u0639\\u0645\\u0631",\n        "text": "\\ud83d\\ude00",\n        "n": 1.5,\n        "ok": true,\n        "none": null\n    }\n]',
    );
  });

  it('sees edits made by someone else, and refuses to overwrite a corrupt file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'list.json');
    const file = listFile(path);
    await file.update((draft) => {
      draft.push(1);
      return { changed: true, result: undefined };
    });
    await writeFile(path, '[1, 2, 3]');
    expect(await file.read()).toEqual([1, 2, 3]);
    await writeFile(path, '[1, 2');
    await expect(file.read()).rejects.toBeInstanceOf(CorruptDataFileError);
    const update = file.update((draft) => {
      draft.push(4);
      return { changed: true, result: undefined };
    });
    await expect(update).rejects.toMatchObject({ code: 'INSTANET_ERR_CORRUPT_DATA_FILE' });
    expect(await readFile(path, 'utf8')).toBe('[1, 2');
  });

  it('never strands a mutation queued just as a drain finishes (one writer awaiting each update in turn)', async () => {
    const dir = await tempDir();
    const files = Array.from({ length: 6 }, (_, i) => listFile(join(dir, `f${i}.json`)));
    const writers = files.map(async (file) => {
      for (let n = 0; n < 40; n += 1) {
        await file.update((draft) => {
          draft.push(n);
          return { changed: true, result: undefined };
        });
      }
    });
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('stuck'), 30_000);
    });
    expect(await Promise.race([Promise.all(writers).then(() => 'done'), stuck])).toBe('done');
    clearTimeout(timer);
    for (const [i] of files.entries()) {
      expect(JSON.parse(await readFile(join(dir, `f${i}.json`), 'utf8'))).toHaveLength(40);
    }
  });

  it('a refused mutation leaves the others of its batch intact and writes nothing when nothing changed', async () => {
    const dir = await tempDir();
    const path = join(dir, 'list.json');
    const file = listFile(path);
    const outcomes = await Promise.allSettled([
      file.update((draft) => {
        draft.push('a');
        return { changed: true, result: 'a' };
      }),
      file.update(() => {
        throw new Error('refused');
      }),
      file.update(() => ({ changed: false, result: 'nothing' })),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(['a']);
    expect((await readdir(dir)).sort()).toEqual(['list.json']);
  });
});

describe('DataStore', () => {
  it('seeds a new folder with user1..user6 / 123 and an empty posts.json', async () => {
    const dir = await tempDir();
    const store = new DataStore(join(dir, 'data'));
    expect(await store.init(6)).toEqual({ seeded: true, createdPosts: true, removedTempFiles: 0 });
    const users = JSON.parse(await readFile(join(dir, 'data', 'users', 'users.json'), 'utf8'));
    expect(Object.keys(users)).toEqual(['user1', 'user2', 'user3', 'user4', 'user5', 'user6']);
    expect(users.user6).toEqual({ password: '123', friends: [], requests: [] });
    expect(await readFile(join(dir, 'data', 'posts', 'posts.json'), 'utf8')).toBe('[]');
    expect((await readdir(join(dir, 'data'))).sort()).toEqual(['images', 'messages', 'posts', 'users']);
  });

  it('reads an existing course folder as it is, keeps unknown keys, sweeps only its own temp files (DATA-5)', async () => {
    const dir = await tempDir();
    const data = join(dir, 'data');
    for (const sub of ['users', 'posts', 'messages', 'images']) await mkdir(join(data, sub), { recursive: true });
    const courseUsers = '{\n    "alice": {\n        "password": "pw",\n        "friends": [],\n        "requests": [],\n        "bio": "hi"\n    }\n}';
    await writeFile(join(data, 'users', 'users.json'), courseUsers);
    await writeFile(join(data, 'users', '.users.json.1.7.instanet-tmp'), '{"half');
    await writeFile(join(data, 'users', 'notes.txt'), 'keep me');
    const store = new DataStore(data);
    expect(await store.init(6)).toEqual({ seeded: false, createdPosts: true, removedTempFiles: 1 });
    expect(await readFile(join(data, 'users', 'users.json'), 'utf8')).toBe(courseUsers);
    expect((await readdir(join(data, 'users'))).sort()).toEqual(['notes.txt', 'users.json']);
    await store.users.update((users) => {
      (users['alice'] as { requests: string[] }).requests.push('bob');
      return { changed: true, result: undefined };
    });
    expect(JSON.parse(await readFile(join(data, 'users', 'users.json'), 'utf8'))).toEqual({
      alice: { password: 'pw', friends: [], requests: ['bob'], bio: 'hi' },
    });
  });

  it('maps stored image paths into the data folder only (SEC-1 for reads)', async () => {
    const dir = await tempDir();
    const store = new DataStore(join(dir, 'data'));
    expect(store.resolveStoredPath('data/images/a.jpg')).toBe(join(dir, 'data', 'images', 'a.jpg'));
    expect(store.resolveStoredPath('data\\images\\a.jpg')).toBe(join(dir, 'data', 'images', 'a.jpg'));
    expect(store.resolveStoredPath('data/../../etc/passwd')).toBeUndefined();
    expect(store.resolveStoredPath('/etc/passwd')).toBeUndefined();
    expect(store.resolveStoredPath('data/')).toBeUndefined();
  });
});

describe('createListEncoder', () => {
  it('reuses the bytes of unchanged entries and still matches json.dumps(indent=4) after appends, edits and removals', () => {
    const json = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>;
    const step = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), items: fc.array(json, { maxLength: 3 }) }),
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), item: json }),
      fc.record({ kind: fc.constant('remove' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
        const encode = createListEncoder();
        let list: JsonValue[] = [];
        for (const s of steps) {
          list = list.slice();
          if (s.kind === 'append') list.push(...s.items);
          else if (s.kind === 'replace' && list.length > 0) list[s.at % list.length] = s.item;
          else if (s.kind === 'remove' && list.length > 0) list.splice(s.at % list.length, 1);
          expect(encode(list).toString('utf8')).toBe(pythonJsonDumps(list, { indent: 4 }));
        }
      }),
      { numRuns: 200 },
    );
  });
});
