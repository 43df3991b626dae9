import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { runBounded } from '../../process/run-bounded.ts';

// socket_utils.py's declarations against the starter's: server.py and client.py call the starter's
// functions by name and position, so a renamed or missing function, or another parameter list, is
// something the course app trips over. Read with Python's own parser (python/signatures.py, run
// with -I): the file is parsed, never imported, so nothing of the student's runs on the host.

const SCRIPT = fileURLToPath(new URL('../python/signatures.py', import.meta.url));
const PARSE_TIMEOUT_MS = 20_000;

const Declared = z.object({ params: z.array(z.tuple([z.string(), z.boolean()])), text: z.string() });
const Parsed = z.union([
  z.object({ functions: z.record(z.string(), Declared), names: z.array(z.string()) }),
  z.object({ error: z.string() }),
]);

export interface Declarations {
  functions: Record<string, z.infer<typeof Declared>>;
  /** Other module-level names (an assignment, an import): a function may be bound that way. */
  names: string[];
}

/** The file's declarations, or why they could not be read (a syntax error is the student's to see). */
export async function readDeclarations(file: string, python: string, scratch: string): Promise<Declarations | { error: string }> {
  // A folder of its own: the bounded runner sweeps whatever is left working in its cwd.
  const cwd = await mkdtemp(path.join(scratch, 'signatures-'));
  try {
    const run = await runBounded([python, '-I', SCRIPT, file], { cwd, timeoutMs: PARSE_TIMEOUT_MS, outputLimitBytes: 64 * 1024 });
    if (run.code !== 0) return { error: `could not be parsed (${run.exit}${run.stderr ? `: ${lastLine(run.stderr)}` : ''})` };
    const parsed = Parsed.safeParse(JSON.parse(run.stdout));
    if (!parsed.success) return { error: 'could not be parsed (unexpected parser output)' };
    return parsed.data;
  } catch (error) {
    return { error: `could not be parsed (${(error as Error).message})` };
  } finally {
    await rm(cwd, { recursive: true, force: true }).catch(() => undefined);
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

const paramsText = (params: readonly (readonly [string, boolean])[]) => `(${params.map(([n, d]) => (d ? `${n}=…` : n)).join(', ')})`;
const sameParams = (a: readonly (readonly [string, boolean])[], b: readonly (readonly [string, boolean])[]) =>
  a.length === b.length && a.every(([n, d], i) => b[i]?.[0] === n && b[i]?.[1] === d);

/**
 * One line per function of the starter's that the hand-in does not declare as the starter does:
 * missing (with a look-alike under another name, when there is one), or another parameter list.
 * Annotations and default values are the student's to change; names, order and which parameters
 * have a default are what callers rely on.
 */
export function signatureProblems(starter: Declarations, student: Declarations | { error: string }): string[] {
  if ('error' in student) return [`socket_utils.py ${student.error}: its functions could not be checked against the starter's`];
  const extra = Object.entries(student.functions).filter(([name]) => !(name in starter.functions));
  const problems: string[] = [];
  for (const [name, declared] of Object.entries(starter.functions)) {
    const mine = student.functions[name];
    if (mine) {
      if (!sameParams(mine.params, declared.params)) problems.push(`${name} takes ${paramsText(mine.params)} (the starter declares ${declared.text})`);
      continue;
    }
    if (student.names.includes(name)) continue;
    const lookAlike = extra.find(([, d]) => sameParams(d.params, declared.params));
    problems.push(`${name} is missing${lookAlike ? `; ${lookAlike[0]} looks like it renamed` : ''} (the starter declares ${declared.text})`);
  }
  return problems;
}
