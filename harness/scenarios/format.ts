import { z, type ZodTypeAny } from 'zod';
import { isRequirementId } from '../../spec/requirements.ts';
import { STEP_SCHEMAS } from './steps/index.ts';
import { Millis } from './values.ts';

export { Pattern } from './values.ts';
export { RawBytes } from './steps/raw.ts';
export { EventuallySpec } from './steps/eventually.ts';
export { ConcurrentSpec } from './steps/concurrent.ts';
export { FileCheck } from './steps/files.ts';

// The scenario format. Every object is strict so a misspelt key is an error with its position
// (the loader maps Zod's issue back to the YAML node), never a silently ignored check.

export const SCENARIO_ID_PATTERN = /^[1-9]\d*\.\d+\.\d+$/;

export const CaseLevel = z
  .enum(['MUST', 'SHOULD', 'INFORMATIONAL'])
  .describe('MUST: a failure is FAILED; SHOULD: a failure is NON-STRICT; INFORMATIONAL: observed behaviour, never counted');
export type CaseLevel = z.infer<typeof CaseLevel>;

const ScenarioId = z.string().regex(SCENARIO_ID_PATTERN, 'expected <group>.<sub>.<n>, e.g. "4.2.1"');
const TimeoutMs = z.number().int().positive().max(600_000).describe('milliseconds');
const ClientName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'client names are identifiers, e.g. "alice"');

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

// A step: who acts (client, label), exactly one kind of thing to do (the registry's kinds, each from
// its own file in steps/), options of how, and bounds (timeout, hint).
const STEP_HEAD = {
  client: ClientName.optional().describe('which connection (default: the first client declared)'),
  label: z.string().optional().describe('a name for the step in reports'),
};
const WRITE_OPTIONS = {
  image: ImageSource.optional().describe('with send: run the image exchange after the request'),
  encoding: Encoding.optional(),
  shape: Shape.optional(),
};
const REPLY_OPTIONS = {
  schema: z.boolean().optional().describe("validate the reply against the action's reply schema (default true)"),
};
const STEP_TAIL = {
  timeout: TimeoutMs.optional().describe('per-step timeout (default: the run timeout, 2000 ms)'),
  hint: Hint.optional(),
};

export type StepKind = (typeof STEP_SCHEMAS)[number]['kind'];
export const STEP_KINDS: readonly StepKind[] = STEP_SCHEMAS.map((k) => k.kind);

// Where the options sit among the kinds, so the schema and the loader's "allowed:" list read in
// order: how to write after the kinds that write (send, raw), the reply's schema check after expect.
const OPTIONS_AFTER: { readonly [K in StepKind]?: z.ZodRawShape } = { raw: WRITE_OPTIONS, expect: REPLY_OPTIONS };

type StepOptions = z.infer<z.ZodObject<typeof STEP_HEAD & typeof WRITE_OPTIONS & typeof REPLY_OPTIONS & typeof STEP_TAIL>>;
type StepSchemaEntry = (typeof STEP_SCHEMAS)[number];
/** What a kind's key holds: a list of steps for the kinds that nest them, else what its schema parses to. */
type KindValue<E extends StepSchemaEntry, S> = E extends { nestsSteps: true } ? S[] : Exclude<z.output<ReturnType<E['field']>>, undefined>;
type KindFields<S> = { [E in StepSchemaEntry as E['kind']]?: KindValue<E, S> };
interface StepShape extends StepOptions, KindFields<StepShape> {}

function stepFields(step: ZodTypeAny): z.ZodRawShape {
  const fields: z.ZodRawShape = { ...STEP_HEAD };
  for (const k of STEP_SCHEMAS) Object.assign(fields, { [k.kind]: k.field(step) }, OPTIONS_AFTER[k.kind]);
  return { ...fields, ...STEP_TAIL };
}

/**
 * The kinds a step names, in the registry's order; a valid step names exactly one. An `expect`
 * beside a kind that takes it (send, raw) is that step's reply check, not a kind of its own.
 */
export function kindsOf(step: Step): StepKind[] {
  const present = STEP_SCHEMAS.filter((k) => step[k.kind] !== undefined);
  const replyChecked = present.some((k) => 'takesExpect' in k && k.takesExpect);
  return present.map((k) => k.kind).filter((k) => !(k === 'expect' && replyChecked));
}

export const Step: z.ZodType<StepShape> = z.lazy(() =>
  z
    .object(stepFields(Step))
    .strict()
    .superRefine((value, ctx) => {
      // The object's keys are the step's own (stepFields), so what it parsed is a Step.
      const step = value as Step;
      const kinds = kindsOf(step);
      if (kinds.length !== 1) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: kinds.length === 0
            ? `a step needs one of: ${STEP_KINDS.join(', ')}`
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

