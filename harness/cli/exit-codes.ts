// The one exit-code table of the `instanet` command. CI jobs and scripts branch on these numbers, so
// every command maps its outcome through here; an error's `code` (never its wording) picks the row.

export const EXIT = {
  ok: 0,
  /** A verdict went against the thing checked: a MUST case failed, a replay diverged, a submission errored. */
  failed: 1,
  /** What was typed or pointed at is wrong: unknown command or option, bad value, unusable input file. */
  usage: 2,
  /** The command is right but the world is not: nothing listening, a tool missing, a port taken. */
  environment: 3,
  /** Ctrl-C or SIGTERM; 128 + SIGINT, what shells report for an interrupted job. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Shown by `instanet --help` and copied into the README. */
export const EXIT_TABLE: readonly (readonly [ExitCode, string])[] = [
  [EXIT.ok, 'ok'],
  [EXIT.failed, 'verdict failed (a MUST case in `test`, a divergence in `transcript replay/diff`, a submission the grader could not grade)'],
  [EXIT.usage, 'usage or input error (unknown command or option, bad option value, missing path, invalid scenario/rubric/transcript file)'],
  [EXIT.environment, 'connection or environment problem (nothing listening at --target, python3 missing, port in use; the grader: a hand-in the kit could not judge, status kit-error: re-grade it)'],
  [EXIT.interrupted, 'interrupted (Ctrl-C / SIGTERM); partial reports are marked "interrupted"'],
];

export function exitTableText(): string {
  return `Exit codes:\n${EXIT_TABLE.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`).join('\n')}\n`;
}

// Every INSTANET_ERR_ code the kit defines, by the row it exits with (exit-codes.test.ts fails when
// a code is added without a row). Codes that only appear inside reports (a case's check failed, a
// frame was malformed) still get a row: if one ever escapes to the top it is a protocol problem.
const USAGE_CODES = [
  'INSTANET_ERR_USAGE', 'INSTANET_ERR_TARGET_CONFIG', 'INSTANET_ERR_SCENARIO_FORMAT', 'INSTANET_ERR_SCENARIO_SELECTION',
  'INSTANET_ERR_TEMPLATE', 'INSTANET_ERR_SHAPE', 'INSTANET_ERR_INVALID_TRANSCRIPT', 'INSTANET_ERR_TRANSCRIPT_UNREADABLE',
  'INSTANET_ERR_NOT_A_REPORT', 'INSTANET_ERR_NO_SUCH_CASE', 'INSTANET_ERR_REPLAY_IMAGES', 'INSTANET_ERR_REPORTS_DIR',
  'INSTANET_ERR_RUBRIC', 'INSTANET_ERR_SUBMISSIONS', 'INSTANET_ERR_UNSAFE_ARCHIVE', 'INSTANET_ERR_SHARD',
  'INSTANET_ERR_GRADEBOOK_MERGE', 'INSTANET_ERR_POST_RESULTS_URL', 'INSTANET_ERR_INVALID_SERVER_OPTION',
  'INSTANET_ERR_SHELL_QUOTE', 'INSTANET_ERR_CORRUPT_DATA_FILE', 'INSTANET_ERR_SCHEMA_REGISTRY', 'INSTANET_ERR_JSON_ENCODE',
] as const;

const ENVIRONMENT_CODES = [
  'INSTANET_ERR_ENVIRONMENT', 'INSTANET_ERR_TARGET_START', 'INSTANET_ERR_PORT_TAKEN', 'INSTANET_ERR_CONTAINER_RUNTIME',
  'INSTANET_ERR_SANDBOX_UNAVAILABLE', 'INSTANET_ERR_SANDBOX_FAILED', 'INSTANET_ERR_REPLAY_CONNECT', 'INSTANET_ERR_PROXY_LISTEN', 'INSTANET_ERR_REPORTS_LISTEN',
  'INSTANET_ERR_SERVER_STARTUP', 'INSTANET_ERR_STORAGE', 'INSTANET_ERR_SHUTTING_DOWN', 'INSTANET_ERR_POST_RESULTS_FAILED',
  'INSTANET_ERR_POST_RESULTS_REJECTED', 'INSTANET_ERR_CONNECTION_REFUSED', 'INSTANET_ERR_CONNECT_FAILED',
  'INSTANET_ERR_CONNECTION_CLOSED', 'INSTANET_ERR_CONNECTION_LOST', 'INSTANET_ERR_CLIENT_TIMEOUT', 'INSTANET_ERR_READ_TIMEOUT',
  'INSTANET_ERR_IDLE_TIMEOUT', 'INSTANET_ERR_PEER_CLOSED', 'INSTANET_ERR_PROTOCOL', 'INSTANET_ERR_MALFORMED_JSON',
  'INSTANET_ERR_INVALID_UTF8', 'INSTANET_ERR_NOT_OBJECT', 'INSTANET_ERR_BOM', 'INSTANET_ERR_MESSAGE_TOO_LARGE',
  'INSTANET_ERR_IMAGE_TOO_LARGE', 'INSTANET_ERR_TRUNCATED', 'INSTANET_ERR_INTERNAL', 'INSTANET_ERR_RECORDER_STATE',
  'INSTANET_ERR_REQUEST_DEADLINE', 'INSTANET_ERR_HTTP', 'INSTANET_ERR_PROXY_PORT', 'INSTANET_ERR_KIT_BUSY', 'INSTANET_ERR_RESOURCE_BOX', 'INSTANET_ERR_STUDENT_ENCODER',
] as const;

// A file the submission made that the kit refuses to read (a link, a FIFO, too large) is the
// submission's doing: a failed verdict, never the user's setup.
const VERDICT_CODES = [
  'INSTANET_ERR_CHECK_FAILED', 'INSTANET_ERR_CASE_SKIPPED', 'INSTANET_ERR_SERVER_ERROR',
  'INSTANET_ERR_UNTRUSTED_MISSING', 'INSTANET_ERR_UNTRUSTED_NOT_REGULAR', 'INSTANET_ERR_UNTRUSTED_OUTSIDE',
  'INSTANET_ERR_UNTRUSTED_SYMLINK', 'INSTANET_ERR_UNTRUSTED_TIMEOUT', 'INSTANET_ERR_UNTRUSTED_TOO_LARGE',
  'INSTANET_ERR_UNTRUSTED_UNREADABLE',
] as const;

export const EXIT_BY_CODE: ReadonlyMap<string, ExitCode> = new Map<string, ExitCode>([
  ...USAGE_CODES.map((c) => [c, EXIT.usage] as const),
  ...ENVIRONMENT_CODES.map((c) => [c, EXIT.environment] as const),
  ...VERDICT_CODES.map((c) => [c, EXIT.failed] as const),
]);

// Node's own errors for a path the user gave (ENOENT from `--rubric nope.yaml`) are input errors;
// the rest (EACCES, EADDRINUSE, ECONNREFUSED, ENOSPC, ...) are about the machine.
const SYSTEM_USAGE_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

export function exitCodeOf(error: unknown): ExitCode {
  const code = codeOf(error);
  if (code === undefined) return EXIT.environment;
  return EXIT_BY_CODE.get(code) ?? (SYSTEM_USAGE_CODES.has(code) ? EXIT.usage : EXIT.environment);
}
