import { z } from 'zod';
import { TranscriptEvent } from '../transcript/format.ts';

// The run report: what report.json holds, what runSuite returns, and what every other reporter
// (JUnit, Markdown, HTML, console, the grader) is rendered from. schemas/report.schema.json is
// generated from here.

export const REPORT_FORMAT_VERSION = 1;

/** The reason of a case an interrupted run did not reach or cut short (its verdict is SKIPPED). */
export const INTERRUPTED_REASON = 'interrupted';

export const Verdict = z
  .enum(['PASSED', 'FAILED', 'NON-STRICT', 'INFORMATIONAL', 'SKIPPED', 'ERROR'])
  .describe(
    'PASSED: met; FAILED: a MUST case failed; NON-STRICT: a SHOULD case failed; INFORMATIONAL: an informational case '
      + 'did not meet the expectation (observed, not counted); SKIPPED: not run (a dependency did not pass, or the target cannot show what it checks); '
      + 'ERROR: the harness itself failed',
  );
export type Verdict = z.infer<typeof Verdict>;
export const VERDICTS = Verdict.options;

export const CaseLevelValue = z.enum(['MUST', 'SHOULD', 'INFORMATIONAL']);

export const FailureKind = z
  .enum(['timeout', 'closed', 'mismatch', 'schema', 'files', 'refused', 'not-started', 'harness', 'kit-busy'])
  .describe('what went wrong: no reply in time, connection closed, wrong reply, reply outside the protocol schema, data files wrong, connection refused, server did not start, harness bug, the machine gave the hand-in (or the kit) too little CPU to judge it (an ERROR, judged again by the second look)');
export type FailureKind = z.infer<typeof FailureKind>;

export const MismatchEntry = z
  .object({ path: z.string().describe('JSON path, e.g. $.messages[0].message'), expected: z.string(), actual: z.string() })
  .strict();

export const Failure = z
  .object({
    step: z.string().describe('which step failed, e.g. "3 (bob: get_messages)"'),
    kind: FailureKind,
    expected: z.string(),
    actual: z.string(),
    mismatches: z.array(MismatchEntry).describe('field by field, when a reply was compared'),
    ownTime: z
      .boolean()
      .optional()
      .describe("true: a timeout measured in the server's own time (time it was runnable but not scheduled never counted), so no busy machine explains it"),
  })
  .strict();
export type Failure = z.infer<typeof Failure>;

export const CaseResult = z
  .object({
    id: z.string().describe('hierarchical case id <group>.<sub>.<n>'),
    title: z.string(),
    group: z.number().int(),
    groupTitle: z.string(),
    tasks: z.array(z.number().int()),
    requirements: z.array(z.string()).describe('requirement IDs (spec/requirements.ts)'),
    level: CaseLevelValue.describe('level declared by the scenario'),
    effectiveLevel: CaseLevelValue.describe("level applied in this run's profile"),
    verdict: Verdict,
    durationMs: z.number().nonnegative(),
    reason: z.string().optional().describe('one line: why it did not pass, or why it was skipped'),
    failure: Failure.optional(),
    hint: z.string().optional().describe('advice for students'),
    skippedBecause: z.array(z.object({ id: z.string(), verdict: Verdict }).strict()).optional(),
    firstRun: z
      .object({ verdict: Verdict, reason: z.string().optional() })
      .strict()
      .optional()
      .describe('set when the case was judged again (harness/runner/second-look.ts): its first verdict, a timeout a busy machine may have caused; the verdict above is the second run\'s, alone on a fresh server'),
    serverOutput: z
      .array(z.string())
      .optional()
      .describe("the server's own stdout/stderr lines printed while this case ran (a traceback whole); set on cases that did not pass, when the kit started the server"),
    log: z.array(z.string()).describe('what the case did, step by step'),
    instance: z.number().int().nonnegative().optional().describe('index into instances: the server process that served it'),
    transcript: z.array(TranscriptEvent).describe('every byte each way, with timing (image bytes summarised by length and sha256)'),
  })
  .strict();
export type CaseResult = z.infer<typeof CaseResult>;

export const InstanceRecord = z
  .object({
    index: z.number().int().nonnegative(),
    cases: z.array(z.string()),
    address: z.string().optional(),
    status: z.enum(['ok', 'crashed', 'killed', 'not-started']),
    detail: z.string().optional(),
    stdout: z.string(),
    stderr: z.string(),
  })
  .strict()
  .describe('One server instance the run started (a fresh state per scenario group or isolated case).');

export const Tally = z.object(Object.fromEntries(VERDICTS.map((v) => [v, z.number().int().nonnegative()])) as Record<Verdict, z.ZodNumber>).strict();
export type Tally = z.infer<typeof Tally>;

export const RequirementStatus = z
  .enum(['met', 'not-met', 'not-met-should', 'informational', 'not-exercised', 'no-scenario'])
  .describe(
    'Roll-up of the cases that cite a requirement. met: a case passed and none failed; not-met: a case citing it FAILED; '
      + 'not-met-should: a case citing it was NON-STRICT; informational: a case citing it missed at INFORMATIONAL level (observed, not counted); '
      + 'not-exercised: scenarios cite it but none of them ran in this run (not selected, or skipped / harness error); '
      + 'no-scenario: no scenario cites it (checked elsewhere, e.g. the grader or the reference server tests)',
  );
export type RequirementStatus = z.infer<typeof RequirementStatus>;

export const RequirementCoverage = z
  .object({
    id: z.string().describe('requirement ID (spec/requirements.ts, spec/protocol.md)'),
    level: z.enum(['MUST', 'SHOULD', 'MAY']),
    section: z.string().describe('spec section, e.g. FRAME'),
    sectionTitle: z.string(),
    text: z.string(),
    status: RequirementStatus,
    cases: z
      .array(z.object({ id: z.string(), verdict: Verdict, effectiveLevel: CaseLevelValue }).strict())
      .describe('the cases of this run that cite it, with their verdicts'),
    unselected: z.array(z.string()).describe('cases that cite it but were not selected in this run'),
  })
  .strict()
  .describe('One requirement followed from the spec to the cases that check it (traceability).');
export type RequirementCoverage = z.infer<typeof RequirementCoverage>;

export const RunReport = z
  .object({
    format: z.literal(REPORT_FORMAT_VERSION),
    kit: z.string(),
    runId: z.string(),
    startedAt: z.string(),
    durationMs: z.number().nonnegative(),
    target: z.string().describe('what was tested'),
    profile: z.enum(['strict', 'course']).describe("strict: every case at its declared level; course: cases the course's starter cannot meet are levelled down"),
    strict: z.boolean().describe('--strict: SHOULD failures also fail the run'),
    selection: z.object({ cases: z.array(z.string()), exclude: z.array(z.string()), timeoutMs: z.number().int() }).strict(),
    ok: z.boolean().describe('no MUST case FAILED or ERROR (with strict: no NON-STRICT either)'),
    exitCode: z.number().int().describe('0 when ok, 1 otherwise, 130 when interrupted'),
    // Optional so reports written before it existed still validate; set only on a cut-short run.
    interrupted: z
      .boolean()
      .optional()
      .describe('true when the run was stopped early (Ctrl-C, SIGTERM): the cases not reached are SKIPPED with reason "interrupted"'),
    imageFraming: z
      .string()
      .optional()
      .describe("INFORMATIONAL: the image framing the run's image bytes were written in: the server author's own send_image's (--server with a --cwd holding socket_utils.py), or the reference's, assumed"),
    tally: Tally,
    cases: z.array(CaseResult),
    instances: z.array(InstanceRecord),
    // Optional only so reports written before it existed still validate; runSuite always sets it.
    requirements: z
      .array(RequirementCoverage)
      .optional()
      .describe('every requirement of the catalogue, in catalogue order, with the cases that check it and a roll-up status'),
  })
  .strict()
  .describe('An InstaNet conformance run: a verdict per case, with the evidence.');
export type RunReport = z.infer<typeof RunReport>;
export type InstanceRecord = z.infer<typeof InstanceRecord>;
