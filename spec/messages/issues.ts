import type { ZodError, ZodIssue } from 'zod';

// Readable validation errors for reports and client errors: one line per problem, with a JSON
// Pointer-like path ('/user_data/friends') so it reads the same as ajv's errors on the generated
// schemas. Union errors are flattened to the branch problems; a failed discriminator is one line.

export interface MessageProblem {
  /** '/receiver', '/messages/0/is_image'; '' for the object itself. */
  readonly path: string;
  readonly code: ZodIssue['code'];
  readonly message: string;
}

const pointer = (path: readonly (string | number)[]) => path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

function flatten(issue: ZodIssue, prefix: readonly (string | number)[]): MessageProblem[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union') return issue.unionErrors.flatMap((e) => e.issues.flatMap((i) => flatten(i, prefix)));
  return [{ path: pointer(path), code: issue.code, message: issue.message }];
}

export function messageProblems(error: ZodError): MessageProblem[] {
  const seen = new Set<string>();
  return error.issues
    .flatMap((i) => flatten(i, []))
    .filter((p) => {
      const key = `${p.path}\0${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** '/receiver: Expected string, received number' lines. */
export function formatMessageProblems(error: ZodError): string[] {
  return messageProblems(error).map((p) => `${p.path || '(root)'}: ${p.message}`);
}

/**
 * Whether every problem is an unrecognized key: the message is right apart from extra keys, which
 * a lenient check grades as a deviation (NON-STRICT) rather than a failure.
 */
export function onlyExtraKeys(error: ZodError): boolean {
  const problems = messageProblems(error);
  return problems.length > 0 && problems.every((p) => p.code === 'unrecognized_keys');
}
