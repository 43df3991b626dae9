import type { Step, StepKind as StepKindName } from '../../scenarios/format.ts';
import type { StepSchema } from '../../scenarios/steps/index.ts';
import type { ScenarioConnection } from '../connection.ts';
import type { StepContext } from '../step-context.ts';

// A kind of scenario step as the runner sees it: its schema (the format's half, from
// harness/scenarios/steps/, where the registry of kinds is), how a report names it, and how it runs.
// Which kind a step is, the format decides (kindsOf in harness/scenarios/format.ts).

export interface StepRun {
  readonly step: Step;
  readonly ctx: StepContext;
  /** "3" or "2.1": where the step sits in its case. */
  readonly index: string;
  /** The client the step acts for. */
  readonly client: string;
  readonly timeoutMs: number;
  /** The client's connection (opened, and logged in, on first use) for kinds that talk to the server. */
  readonly conn: ScenarioConnection;
  /** Runs nested steps (a group, parallel branches) with the same machinery. */
  readonly runStep: (step: Step, ctx: StepContext, index: string) => Promise<void>;
  readonly runSteps: (steps: readonly Step[], ctx: StepContext, prefix: string) => Promise<void>;
}

export interface StepKind<K extends StepKindName = StepKindName> {
  /** The key that names the kind in a scenario and the schema of what it holds. */
  readonly schema: StepSchema<K>;
  /** What a report calls the step, after its index and client. */
  describe(step: Step): string;
  /** False for kinds that never touch the client's connection (pause, groups, files, concurrent). */
  readonly usesConnection: boolean;
  run(run: StepRun): Promise<void>;
}
