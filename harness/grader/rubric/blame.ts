import type { CaseOutcome } from './score.ts';

// Which of the student's socket_utils.py functions a failed server case is charged to. The server
// half runs the course's own server.py, so every byte it reads or writes goes through the student's
// functions; a failure is charged to the function the evidence points at:
// 1. the student server's own traceback or error line (server.py prints "Error ...: <message>"),
//    when it names a contract function (a frame "in receive_image");
// 2. otherwise the case's requirements: the function the requirement is about.
// Requirements that judge server.py's own logic (FRQ-*, DM-4, POST-3, ...) name no student function:
// those cases fail for every hand-in alike (course profile levels them down) and are charged to
// "server.py (course code)".

export const CONTRACT_FUNCTIONS = [
  'find_available_port',
  'is_port_available',
  'create_server_socket',
  'create_client_socket',
  'send_json_message',
  'receive_json_message',
  'send_image',
  'receive_image',
  'send_json_message_with_image',
  'receive_json_message_with_image',
] as const;

export const COURSE_CODE = 'server.py (course code)';

/** Requirement IDs whose behaviour lives in one student function. */
const BY_REQUIREMENT: readonly (readonly [RegExp, string])[] = [
  [/^IMG-(2|3|5)$/, 'receive_image'],
  [/^FRAME-7$/, 'send_json_message'],
  [/^FRAME-(1|2|3|4|5|6|8|9|10)$/, 'receive_json_message'],
  [/^CONN-(1|3)$/, 'create_server_socket'],
  [/^CONN-(2|4)$/, 'receive_json_message'],
  [/^(IMG-(1|4|8)|POST-[12]|DM-5)$/, 'receive_image'],
  [/^(DM|AUTH|USER|FRQ)-/, 'receive_json_message'],
];

/** The innermost contract function named by a Python traceback or error text, if any. */
export function functionInTraceback(text: string): string | undefined {
  let found: string | undefined;
  for (const match of text.matchAll(/, in (\w+)/g)) {
    const name = match[1];
    if (name && (CONTRACT_FUNCTIONS as readonly string[]).includes(name)) found = name;
  }
  return found;
}

export function blameOf(outcome: Pick<CaseOutcome, 'requirements' | 'verdict'>, serverOutput = ''): string | undefined {
  if (outcome.verdict === 'PASSED' || outcome.verdict === 'INFORMATIONAL') return undefined;
  const traced = functionInTraceback(serverOutput);
  if (traced) return traced;
  // A case lists its main requirement first: the first one that names a function decides.
  for (const requirement of outcome.requirements) {
    const hit = BY_REQUIREMENT.find(([pattern]) => pattern.test(requirement));
    if (hit) return hit[1];
  }
  return COURSE_CODE;
}

/**
 * The function a start-up crash is charged to: the innermost contract function of the traceback,
 * or, when server.py itself raised unpacking a contract function's result (the starter's
 * `server_socket, port = create_server_socket(...)` on a body that is still `pass`), that function:
 * it returned None where the contract promises a tuple. Undefined when nothing names one.
 */
export function startupCrashBlame(stderr: string): string | undefined {
  const traced = functionInTraceback(stderr);
  if (traced) return traced;
  if (!/cannot unpack non-iterable NoneType object/.test(stderr)) return undefined;
  let found: string | undefined;
  for (const match of stderr.matchAll(/=\s*(?:socket_utils\.)?(\w+)\(/g)) {
    const name = match[1];
    if (name && (CONTRACT_FUNCTIONS as readonly string[]).includes(name)) found = name;
  }
  return found;
}
