import { InstaNetError } from '../errors.ts';
import type { ProgressProbe } from '../process/own-time.ts';

// A target is the server under test. start() gives a server with fresh state; the runner starts one
// instance per scenario group (and per isolated case) and stops it when the group is done.

export interface TargetInstance {
  host: string;
  port: number;
  /** Set when the harness may read the server's data folder (the folder holding users/, posts/, ...). */
  dataDir?: string;
  output(): { stdout: string; stderr: string };
  /**
   * The server's output lines that began between two performance.now() instants of this process;
   * only targets that capture the server's output have it (a --target server's output is not ours).
   */
  outputBetween?(from: number, to: number): string[];
  /** performance.now() when the server last printed anything; lets the runner wait for a traceback to finish. */
  lastOutputAt?(): number;
  /**
   * The client port the server sees (and prints) for a connection the harness opened from
   * `clientPort`; undefined when that cannot be told. Absent: the server sees the harness's own port.
   * Behind the grader's sandbox relay the two differ, and the server's lines name the inside one.
   */
  serverSidePort?(clientPort: number): number | undefined;
  /**
   * How to watch the server's threads, so a wait is measured in the server's own time, not the
   * machine's (only servers the kit started; a --target server's processes are not ours to watch).
   */
  progress?: ProgressProbe;
  stop(): Promise<{ status: 'ok' | 'crashed' | 'killed'; detail?: string }>;
}

export interface Target {
  readonly description: string;
  /**
   * The profile a run uses by default against this target: 'strict' holds every case to its declared
   * level; 'course' levels down what the course's own starter cannot meet. Absent means 'course'.
   */
  readonly profile?: 'strict' | 'course';
  /** One line a command shows before the cases: what running them does to this target. */
  readonly notice?: string;
  start(): Promise<TargetInstance>;
  /**
   * Checks, before any case runs, what would make every case fail for a reason that is not the
   * server's: a wrong flag (UsageError, TargetConfigError) or a machine not ready (EnvironmentError).
   */
  preflight?(): Promise<void>;
}

/** The server under test could not be started (or did not accept connections in time). */
export class TargetStartError extends InstaNetError<'INSTANET_ERR_TARGET_START'> {
  constructor(
    message: string,
    readonly output: { stdout: string; stderr: string } = { stdout: '', stderr: '' },
  ) {
    super('INSTANET_ERR_TARGET_START', message);
  }
}

/** A target description that cannot be used (bad host:port, missing directory, ...). */
export class TargetConfigError extends InstaNetError<'INSTANET_ERR_TARGET_CONFIG'> {
  constructor(message: string) {
    super('INSTANET_ERR_TARGET_CONFIG', message);
  }
}
