import type { ProgressProbe } from '../process/own-time.ts';
import type { Hint } from '../scenarios/format.ts';
import type { LoadedScenario } from '../scenarios/loader.ts';
import type { ScenarioConnection } from './connection.ts';
import type { Clock } from './templates.ts';
import type { WireLog } from './wire-log.ts';
import type { ImageEncoder } from './image-framing.ts';

// What every step of a case shares while it runs: the scenario, the server, its clients'
// connections, the log and the clock.

export interface StepContext {
  scenario: LoadedScenario;
  host: string;
  port: number;
  dataDir: string | undefined;
  timeoutMs: number;
  /** Watches the server's own time (harness/process/own-time.ts); absent: waits are wall-clock time. */
  progress?: ProgressProbe;
  password: string;
  clock: Clock;
  wire: WireLog;
  log: string[];
  conns: Map<string, ScenarioConnection>;
  lastImage: Buffer | undefined;
  /** The sender of image bytes: the student's own send_image when the run has it, else the reference framing. */
  imageEncoder?: ImageEncoder;
  /** The hint of the step that failed last (set just before a StepFailure leaves a step). */
  failedStepHint?: Hint;
  failedStep?: string;
}
