import { killTrackedGroups } from '../../process/process-groups.ts';
import { EXIT } from '../exit-codes.ts';

// Ctrl-C / SIGTERM for every `instanet test` run (server half, `--client`, `--watch`): the first one aborts the run
// in progress, which stops its processes and removes its folders on the way out; a second one
// does not wait: it kills every process group the kit started and exits at once.

export interface SignalAbort {
  signal: AbortSignal;
  dispose(): void;
}

export function abortOnSignals(): SignalAbort {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      killTrackedGroups();
      process.exit(EXIT.interrupted);
    }
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
