import { z } from 'zod';
import { isRequirementId } from '../../spec/requirements.ts';
import { patternProblems } from './pattern.ts';

// The scenario format. Every object is strict so a misspelt key is an error with its position
// (the loader maps Zod's issue back to the YAML node), never a silently ignored check.

export const SCENARIO_ID_PATTERN = /^[1-9]\d*\.\d+\.\d+$/;

export const CaseLevel = z
  .enum(['MUST', 'SHOULD', 'INFORMATIONAL'])
  .describe('MUST: a failure is FAILED; SHOULD: a failure is NON-STRICT; INFORMATIONAL: observed behaviour, never counted');
export type CaseLevel = z.infer<typeof CaseLevel>;

const ScenarioId = z.string().regex(SCENARIO_ID_PATTERN, 'expected <group>.<sub>.<n>, e.g. "4.2.1"');
const Millis = z.number().int().nonnegative();
const TimeoutMs = z.number().int().positive().max(600_000).describe('milliseconds');
const ClientName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'client names are identifiers, e.g. "alice"');

/** An expected value: literal JSON (objects match as subsets, arrays element by element) or $-matchers. */
export const Pattern = z
  .unknown()
  .superRefine((value, ctx) => {
    for (const problem of patternProblems(value)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem.message, path: problem.path });
  })
  .describe(
    'Expected JSON. Objects match as subsets, arrays element by element; an object whose keys start with $ is a matcher: '
      + '$type, $regex, $contains, $length, $absent, $oneOf, $eq, $not, $each, $any, $raw (top level: the raw reply text).',
  );
export type Pattern = unknown;

const HintText = z.string().min(1);
export const Hint = z
  .union([
    HintText,
    z
      .object({
        timeout: HintText.optional().describe('no reply within the step timeout'),
        closed: HintText.optional().describe('the server closed the connection'),
        mismatch: HintText.optional().describe('a reply did not match what was expected'),
        schema: HintText.optional().describe('a reply did not fit the protocol schema'),
        files: HintText.optional().describe("the server's data files were not as expected"),
        default: HintText.optional().describe('any other failure'),
      })
      .strict(),
  ])
  .describe('Advice for students, shown when the case fails; per failure kind or one text for all.');
export type Hint = z.infer<typeof Hint>;

export const Encoding = z
  .object({
    style: z.enum(['python', 'compact']).optional().describe("python: json.dumps separators ', ' ': ' (default); compact: ',' ':'"),
    ascii: z.boolean().optional().describe('true (default): \\uXXXX escapes as json.dumps; false: raw UTF-8'),
  })
  .strict();
export type Encoding = z.infer<typeof Encoding>;

export const Shape = z
  .object({
    chunk: z.number().int().positive().optional().describe('write the message in pieces of this many bytes'),
    delayMs: Millis.optional().describe('pause between pieces (default 5 ms when the message is cut)'),
    splitAt: z.number().int().positive().optional().describe('cut the message in two at this byte offset'),
    splitUtf8: z.boolean().optional().describe('cut the message in two inside its first multi-byte UTF-8 character'),
    stopAfter: Millis.optional().describe('send only the first N bytes of the message (a half-sent request)'),
  })
  .strict()
  .describe('Fault shaping of the bytes of one message.');
export type Shape = z.infer<typeof Shape>;

export const ImageSource = z
  .object({
    size: z.number().int().nonnegative().max(64 * 1024 * 1024).optional().describe('a generated JPEG-like image of this many bytes (deterministic)'),
    file: z.string().min(1).optional().describe('a file, relative to the scenario file'),
    splitHeader: z.number().int().min(1).max(7).optional().describe('write the 8-byte length header in two pieces cut at this byte'),
    chunk: z.number().int().positive().optional().describe('write the image bytes in pieces of this many bytes'),
    delayMs: Millis.optional().describe('pause between pieces of the header or the image'),
    disconnectAfter: Millis.optional().describe('close the connection after this many image bytes (CONN-4)'),
    announce: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional().describe('send this length in the header instead of the real one (a lying client, IMG-7)'),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.size === undefined) === (v.file === undefined)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'image needs exactly one of "size" or "file"' });
    }
  })
  .describe('The image of an image exchange: ready, 8-byte length, bytes, acknowledgement, final reply.');
export type ImageSource = z.infer<typeof ImageSource>;

export const RawBytes = z
  .object({
    text: z.string().optional().describe('UTF-8 text, sent as is'),
    hex: z.string().regex(/^([0-9a-fA-F]{2}\s*)*$/, 'expected hex byte pairs').optional(),
    base64: z.string().regex(/^[A-Za-z0-9+/\s]*={0,2}$/, 'expected base64').optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const n = [v.text, v.hex, v.base64].filter((x) => x !== undefined).length;
    if (n !== 1) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'raw needs exactly one of "text", "hex" or "base64"' });
  });
export type RawBytes = z.infer<typeof RawBytes>;

export const EventuallySpec = z
  .object({
    send: z.record(z.unknown()).describe('the request to repeat'),
    expect: Pattern,
    attempts: z.number().int().min(1).max(100).optional().describe('default 10'),
    intervalMs: Millis.optional().describe('pause between attempts (default 100)'),
  })
  .strict()
  .describe('Poll with a request until its reply matches (state a recipient sees by polling), bounded.');

export const ConcurrentSpec = z
  .object({
    clients: z.number().int().min(1).max(500).describe('how many connections, all open at once'),
    login: z.array(z.string().min(1)).min(1).optional().describe('users to log the connections in as, in turn'),
    repeat: z.number().int().min(1).max(100).optional().describe('requests per connection, one after the other (default 1)'),
    send: z.record(z.unknown()).describe('the request; {{i}} is the connection number, {{j}} the repetition'),
    expect: Pattern.optional(),
  })
  .strict()
  .describe('Open N connections, then have all of them send at the same moment; every reply is checked.');

export const FileCheck = z
  .object({
    json: z.string().min(1).optional().describe("a JSON file, relative to the server's data folder"),
    expect: Pattern.optional().describe('what the JSON file holds'),
    post: Pattern.optional().describe('an entry of posts/posts.json matching this; with image: its image file'),
    dm: z
      .object({ users: z.tuple([z.string(), z.string()]), match: Pattern })
      .strict()
      .optional()
      .describe('an entry of the conversation file of two users matching this; with image: its image file'),
    image: z.literal('last').optional().describe("the entry's image_path holds exactly the last image sent in this case"),
    absent: z.array(z.string().min(1)).optional().describe('paths (relative to the data folder) that must not exist'),
  })
  .strict()
  .describe("A check of the server's data folder (only when the target exposes it; SKIPPED otherwise).");
export type FileCheck = z.infer<typeof FileCheck>;

const stepKinds = [
  'send',
  'raw',
  'expect',
  'expectClosed',
  'expectNoReply',
  'eventually',
  'pause',
  'close',
  'halfClose',
  'connect',
  'parallel',
  'steps',
  'concurrent',
  'files',
] as const;
export type StepKind = (typeof stepKinds)[number];

interface StepShape {
  client?: string;
  label?: string;
  send?: Record<string, unknown>;
  raw?: RawBytes;
  image?: ImageSource;
  encoding?: Encoding;
  shape?: Shape;
  expect?: Pattern;
  schema?: boolean;
  expectClosed?: boolean;
  expectNoReply?: number;
  eventually?: z.infer<typeof EventuallySpec>;
  pause?: number;
  close?: boolean;
  halfClose?: boolean;
  connect?: boolean;
  parallel?: StepShape[];
  steps?: StepShape[];
  concurrent?: z.infer<typeof ConcurrentSpec>;
  files?: FileCheck;
  timeout?: number;
  hint?: Hint;
}

export const Step: z.ZodType<StepShape> = z.lazy(() =>
  z
    .object({
      client: ClientName.optional().describe('which connection (default: the first client declared)'),
      label: z.string().optional().describe('a name for the step in reports'),
      send: z.record(z.unknown()).optional().describe('a JSON request; {{...}} templates are expanded'),
      raw: RawBytes.optional().describe('raw bytes, sent as they are'),
      image: ImageSource.optional().describe('with send: run the image exchange after the request'),
      encoding: Encoding.optional(),
      shape: Shape.optional(),
      expect: Pattern.optional().describe('the next reply on this connection (with send/raw: the reply to it)'),
      schema: z.boolean().optional().describe("validate the reply against the action's reply schema (default true)"),
      expectClosed: z.literal(true).optional().describe('the server closes this connection (replies before the close are allowed)'),
      expectNoReply: Millis.optional().describe('no byte arrives on this connection for this many ms'),
      eventually: EventuallySpec.optional(),
      pause: Millis.optional().describe('wait this many ms'),
      close: z.literal(true).optional().describe('close this connection'),
      halfClose: z.literal(true).optional().describe('shut down the write side of this connection (FIN)'),
      connect: z.literal(true).optional().describe('(re)open this connection now'),
      parallel: z.array(Step).min(2).optional().describe('steps run at the same time'),
      steps: z.array(Step).min(1).optional().describe('steps run in order (a branch of a parallel block)'),
      concurrent: ConcurrentSpec.optional(),
      files: FileCheck.optional(),
      timeout: TimeoutMs.optional().describe('per-step timeout (default: the run timeout, 2000 ms)'),
      hint: Hint.optional(),
    })
    .strict()
    .superRefine((step, ctx) => {
      const present = stepKinds.filter((k) => (step as Record<string, unknown>)[k] !== undefined);
      const kinds = present.filter((k) => !(k === 'expect' && (step.send !== undefined || step.raw !== undefined)));
      if (kinds.length !== 1) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: kinds.length === 0
            ? `a step needs one of: ${stepKinds.join(', ')}`
            : `a step does one thing; found ${kinds.join(' and ')}`,
        });
      }
      if (step.image && !step.send) ctx.addIssue({ code: z.ZodIssueCode.custom, message: '"image" goes with "send"', path: ['image'] });
      if (step.shape && !step.send && !step.raw) ctx.addIssue({ code: z.ZodIssueCode.custom, message: '"shape" goes with "send" or "raw"', path: ['shape'] });
      if (step.encoding && !step.send) ctx.addIssue({ code: z.ZodIssueCode.custom, message: '"encoding" goes with "send"', path: ['encoding'] });
    }),
);
export type Step = StepShape;

export const ClientSpec = z
  .object({
    login: z.string().min(1).optional().describe('log in as this user (password from the run, default "123") when the connection opens'),
    password: z.string().optional(),
  })
  .strict();
export type ClientSpec = z.infer<typeof ClientSpec>;

export const Scenario = z
  .object({
    id: ScenarioId.describe('<group>.<sub>.<n>; group 1-6 = the seed tasks, 7 robustness, 8 data safety, 9 security'),
    title: z.string().min(1),
    description: z.string().optional(),
    tasks: z.array(z.number().int().min(1).max(6)).describe('seed tasks (1-6) this case exercises'),
    requirements: z
      .array(z.string().refine(isRequirementId, (id) => ({ message: `unknown requirement ID "${id}"` })))
      .min(1)
      .describe('requirement IDs from spec/requirements.ts'),
    depends: z.array(ScenarioId).optional().describe('cases that must pass first; when one did not, this case is SKIPPED'),
    assumes: z
      .array(ScenarioId)
      .optional()
      .describe(
        'more basic cases whose behaviour this one also needs; when this case fails and one of them failed too, the grader charges the defect there and marks this case SKIPPED (depends on ...), so one defect costs points once',
      ),
    level: CaseLevel,
    course: CaseLevel.optional().describe(
      "level in the 'course' profile. Default: the level, or INFORMATIONAL when a cited requirement is one the course's starter does not meet",
    ),
    isolate: z.boolean().optional().describe('run against a fresh server instance of its own'),
    hint: Hint.optional(),
    clients: z.record(ClientName, ClientSpec).refine((c) => Object.keys(c).length > 0, 'declare at least one client'),
    steps: z.array(Step).min(1),
  })
  .strict();
export type Scenario = z.infer<typeof Scenario>;

export const ScenarioFile = z
  .object({
    group: z.number().int().min(1).max(9).describe('1-6 seed tasks, 7 robustness, 8 data safety, 9 security'),
    title: z.string().min(1),
    scenarios: z.array(Scenario).min(1),
  })
  .strict()
  .describe('A file of InstaNet conformance scenarios (fixtures/scenarios/*.yaml).');
export type ScenarioFile = z.infer<typeof ScenarioFile>;

export const STEP_KINDS: readonly StepKind[] = stepKinds;
