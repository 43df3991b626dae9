import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.ts';
import { classStarter } from '../grade/class-starter.ts';
import { checkAgainstStarter } from './check.ts';
import { readDeclarations, signatureProblems, type Declarations } from './signatures.ts';
import { loadStarter, type Starter } from './starter.ts';

// The course's files against a hand-in's, with real python3 parsing real files: the starter folder
// the kit ships (fixtures/broken-submissions/skeleton: server.py, constants.py and the skeleton
// socket_utils.py, as handed out), and hand-ins made from it with one change each.

const SKELETON = fileURLToPath(new URL('../../../fixtures/broken-submissions/skeleton/', import.meta.url));
const CORRECT = fileURLToPath(new URL('../../../fixtures/submissions/correct/', import.meta.url));

let tmp: string;
let starter: Starter;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'starter-'));
  starter = await loadStarter(SKELETON, 'python3', tmp);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A hand-in: the correct sample with `edit` applied to its files. */
async function handIn(name: string, edit: (dir: string) => Promise<void> = async () => undefined): Promise<string> {
  const dir = path.join(tmp, 'hand-ins', name);
  await cp(CORRECT, dir, { recursive: true });
  await edit(dir);
  return dir;
}

async function rewrite(file: string, change: (text: string) => string): Promise<void> {
  await writeFile(file, change(await readFile(file, 'utf8')));
}

describe('--starter DIR', () => {
  it("reads the starter's course files and its socket_utils.py declarations (the ten functions of the contract)", () => {
    expect([...starter.files.keys()]).toEqual(['server.py', 'constants.py']); // the kit's starter has no client.py
    expect(Object.keys(starter.declarations?.functions ?? {})).toEqual([
      'find_available_port', 'is_port_available', 'create_server_socket', 'create_client_socket', 'send_json_message',
      'receive_json_message', 'send_image', 'receive_image', 'send_json_message_with_image', 'receive_json_message_with_image',
    ]);
    expect(starter.declarations?.functions['receive_image']?.text).toBe('receive_image(sock) -> bytes');
  });

  it('a folder that is not there, or has no server.py, is the user\'s error in one line', async () => {
    await expect(loadStarter(path.join(tmp, 'nope'), 'python3', tmp)).rejects.toThrow(UsageError);
    await expect(loadStarter(path.join(tmp, 'nope'), 'python3', tmp)).rejects.toThrow(/^--starter .*nope is not a folder \(give the course starter folder as handed out/);
    await mkdir(path.join(tmp, 'empty'));
    await expect(loadStarter(path.join(tmp, 'empty'), 'python3', tmp)).rejects.toThrow(/^--starter .*empty: missing server\.py \(/);
  });
});

describe('a hand-in against the starter', () => {
  it('an untouched hand-in: nothing flagged', async () => {
    const dir = await handIn('untouched');
    expect(await checkAgainstStarter(dir, starter, 'python3', tmp)).toEqual({ changed: [], signatures: [] });
  });

  it('a changed server.py: the file and its lines added and removed; line endings alone are no change', async () => {
    const dir = await handIn('changed', async (d) => {
      // Two lines added after the imports, the first import line removed: +2 -1.
      await rewrite(path.join(d, 'server.py'), (t) => t.replace('import argparse\n', '').replace('import threading\n', 'import threading\nimport time\nimport sys\n'));
      await rewrite(path.join(d, 'constants.py'), (t) => t.replace(/\n/g, '\r\n'));
    });
    expect(await checkAgainstStarter(dir, starter, 'python3', tmp)).toEqual({ changed: [{ file: 'server.py', added: 2, removed: 1 }], signatures: [] });
  });

  it('a renamed function is named in one line, with its look-alike; a changed parameter list too', async () => {
    const dir = await handIn('renamed', async (d) => {
      await rewrite(path.join(d, 'socket_utils.py'), (t) =>
        t.replace('def receive_image(sock: socket.socket) -> bytes:', 'def recv_image(sock: socket.socket) -> bytes:')
          .replace('def send_json_message(sock: socket.socket, message: Dict) -> None:', 'def send_json_message(sock, message, pretty=False):'),
      );
    });
    expect((await checkAgainstStarter(dir, starter, 'python3', tmp)).signatures).toEqual([
      'send_json_message takes (sock, message, pretty=…) (the starter declares send_json_message(sock, message) -> None)',
      'receive_image is missing; recv_image looks like it renamed (the starter declares receive_image(sock) -> bytes)',
    ]);
  });

  it('a socket_utils.py that does not parse says so in one line, without running it', async () => {
    const dir = await handIn('syntax', async (d) => {
      await writeFile(path.join(d, 'socket_utils.py'), 'import os\nos.system("touch /tmp/ran")\ndef broken(:\n');
    });
    const { signatures } = await checkAgainstStarter(dir, starter, 'python3', tmp);
    expect(signatures).toEqual([expect.stringMatching(/^socket_utils\.py SyntaxError: .*: its functions could not be checked against the starter's$/)]);
  });

  it('names bound by assignment or import count as declared (server.py imports them by name either way)', () => {
    const declared = starter.declarations as Declarations;
    const student: Declarations = { functions: {}, names: Object.keys(declared.functions) };
    expect(signatureProblems(declared, student)).toEqual([]);
  });

  it('parses with python3 -I and never imports: the file runs nothing', async () => {
    const file = path.join(tmp, 'side-effect.py');
    const marker = path.join(tmp, 'imported');
    await writeFile(file, `open(${JSON.stringify(marker)}, "w").close()\ndef f(a, b=1, *c, d, **e) -> int: pass\n`);
    const read = await readDeclarations(file, 'python3', tmp);
    expect(read).toEqual({ functions: { f: { params: [['a', false], ['b', true], ['*c', true], ['d', false], ['**e', true]], text: 'f(a, b=1, *c, d, **e) -> int' } }, names: [] });
    await expect(readFile(marker)).rejects.toThrow(/ENOENT/);
  });
});

describe("without --starter: the class's most common course files", () => {
  it('a class of three where one changed server.py: the two that agree are the starter, with the count', async () => {
    const cls = path.join(tmp, 'class-of-three');
    const sources = [];
    for (const name of ['alice', 'bob', 'carol']) {
      const dir = path.join(cls, name);
      await cp(CORRECT, dir, { recursive: true });
      if (name === 'carol') await writeFile(path.join(dir, 'server.py'), '# my own server\n');
      sources.push({ name, kind: 'folder' as const, path: dir });
    }
    const found = await classStarter(sources, tmp);
    if (!found.ok) throw new Error(found.warning);
    expect(found.starter.files.get('server.py')?.equals(await readFile(path.join(CORRECT, 'server.py')))).toBe(true);
    expect([...found.starter.files.keys()]).toEqual(['server.py', 'constants.py']);
    expect(found.starter.note).toBe(
      "no --starter: the class's most common server.py, constants.py served as the starter (hand-ins that agreed: server.py: 2 of 3, constants.py: 3 of 3); give --starter DIR to use the course's own",
    );
    // The note names files and counts, never a student.
    for (const name of ['alice', 'bob', 'carol']) expect(found.starter.note).not.toContain(name);
    expect((await checkAgainstStarter(path.join(cls, 'carol'), found.starter, 'python3', tmp)).changed).toEqual([
      { file: 'server.py', added: 1, removed: (await readFile(path.join(CORRECT, 'server.py'), 'utf8')).split('\n').length - 1 },
    ]);
  });

  it('a class of one keeps its files as handed in, with a warning line', async () => {
    const found = await classStarter([{ name: 'solo', kind: 'folder', path: CORRECT }], tmp);
    expect(found).toEqual({
      ok: false,
      warning:
        "no --starter, and a class of one: server.py, client.py and constants.py run as handed in (the course runs its own; give --starter DIR, the course's starter folder, to run those)",
    });
  });

  it('two hand-ins that disagree on every file: no starter either', async () => {
    const a = await handIn('disagree-a', async (d) => writeFile(path.join(d, 'server.py'), 'a\n').then(() => writeFile(path.join(d, 'constants.py'), 'A = 1\n')));
    const b = await handIn('disagree-b', async (d) => writeFile(path.join(d, 'server.py'), 'b\n').then(() => writeFile(path.join(d, 'constants.py'), 'B = 1\n')));
    const found = await classStarter([{ name: 'a', kind: 'folder', path: a }, { name: 'b', kind: 'folder', path: b }], tmp);
    expect(found.ok).toBe(false);
  });
});
