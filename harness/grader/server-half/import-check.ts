import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runBounded } from '../../process/run-bounded.ts';
import { readUntrustedFile } from '../../workspace-files/index.ts';

// A socket_utils.py that does not compile fails every server case and every client check for one
// reason. Said first and once ("socket_utils.py does not import: line 12: SyntaxError: …"), with the
// points charged to that, instead of fifty "not run: crashed" lines and points "not attributed".
// compile() parses without running anything, so this check needs no sandbox; the file is read as an
// untrusted file (no links) and copied to scratch first.

/** What a grade charges points to when socket_utils.py does not import. */
export const DOES_NOT_IMPORT = 'socket_utils.py (does not import)';

const CHECK = [
  'import sys',
  'src = open(sys.argv[1], "rb").read()',
  'try:',
  '    compile(src, "socket_utils.py", "exec")',
  'except SyntaxError as e:',
  '    print(f"line {e.lineno}: {type(e).__name__}: {e.msg}")',
  '    sys.exit(1)',
  'except (ValueError, MemoryError, RecursionError) as e:',
  '    print(f"{type(e).__name__}: {e}")',
  '    sys.exit(1)',
].join('\n');

/** "line 12: SyntaxError: invalid syntax" when socket_utils.py does not compile; undefined when it does (or cannot be checked). */
export async function socketUtilsImportError(serverDir: string, scratch: string, python: string): Promise<string | undefined> {
  const source = await readUntrustedFile(serverDir, 'socket_utils.py', { maxBytes: 4 * 1024 * 1024, timeoutMs: 5000 }).catch(() => undefined);
  if (!source) return undefined;
  const dir = path.join(scratch, 'import-check');
  await mkdir(dir, { recursive: true });
  const copy = path.join(dir, 'socket_utils.py');
  await writeFile(copy, source);
  const run = await runBounded([python, '-c', CHECK, copy], { cwd: dir, timeoutMs: 15_000, outputLimitBytes: 64 * 1024 });
  if (run.code !== 1) return undefined;
  const line = run.stdout.trim().split('\n')[0];
  return line ? line : undefined;
}
