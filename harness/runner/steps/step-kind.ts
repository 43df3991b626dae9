import type { Step } from '../../scenarios/format.ts';
import type { ScenarioConnection } from '../connection.ts';
import type { StepContext } from '../step-context.ts';

// A kind of scenario step: how to recognise it, how a report names it, and how it runs. The
// registry (index.ts) lists the kinds in the order they are tried, so that order is the one place
// that decides what a step is, for running it and for describing it.

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

export interface StepKind {
  readonly name: string;
  matches(step: Step): boolean;
  /** What a report calls the step, after its index and client. */
  describe(step: Step): string;
  /** False for kinds that never touch the client's connection (pause, groups, files, concurrent). */
  readonly usesConnection: boolean;
  run(run: StepRun): Promise<void>;
}
