import { InstaNetError } from '../errors.ts';

export interface ScenarioProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export const formatProblem = (p: ScenarioProblem) => `${p.file}:${p.line}:${p.col}: ${p.message}`;

/** A scenario file that cannot be used; lists every problem found, each with its position. */
export class ScenarioFormatError extends InstaNetError<'INSTANET_ERR_SCENARIO_FORMAT'> {
  constructor(readonly problems: readonly ScenarioProblem[]) {
    super('INSTANET_ERR_SCENARIO_FORMAT', problems.map(formatProblem).join('\n'));
  }
}

/** A selection (--cases/--exclude) that names nothing, or a scenario directory with no scenarios. */
export class ScenarioSelectionError extends InstaNetError<'INSTANET_ERR_SCENARIO_SELECTION'> {
  constructor(message: string) {
    super('INSTANET_ERR_SCENARIO_SELECTION', message);
  }
}
