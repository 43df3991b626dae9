import cliProgress from 'cli-progress';
import { oneLine } from '../../base/safe-text.ts';

// A bar on a terminal; on CI logs and pipes, plain lines (a redrawn bar there is unreadable noise).
// A class of five takes minutes and one submission tens of seconds, so both say who is being
// graded right now: the bar names the submissions in flight and moves with every case, and line
// mode prints a line when each submission starts as well as when it ends.

export interface Progress {
  /** A submission begins grading; `cases` is how many server cases it will run. */
  start(name: string, cases: number): void;
  /** One case of a submission in flight finished. */
  caseDone(name: string): void;
  done(name: string, summary: string): void;
  stop(): void;
}

interface InFlight {
  cases: number;
  done: number;
}

const IN_FLIGHT_CHARS = 70;

/** Hand-in names and summaries (a crash line) are the student's: shown, never acted on by the terminal. */
export function createProgress(total: number, stream: NodeJS.WriteStream | NodeJS.WritableStream, mode: 'auto' | 'bar' | 'lines' | 'none'): Progress {
  const inner = createRawProgress(total, stream, mode);
  return {
    start: (name, cases) => inner.start(oneLine(name), cases),
    caseDone: (name) => inner.caseDone(oneLine(name)),
    done: (name, summary) => inner.done(oneLine(name), oneLine(summary)),
    stop: () => inner.stop(),
  };
}

function createRawProgress(total: number, stream: NodeJS.WriteStream | NodeJS.WritableStream, mode: 'auto' | 'bar' | 'lines' | 'none'): Progress {
  const tty = 'isTTY' in stream && (stream as NodeJS.WriteStream).isTTY === true;
  const kind = mode === 'auto' ? (tty ? 'bar' : 'lines') : mode;
  if (kind === 'none') return { start: () => undefined, caseDone: () => undefined, done: () => undefined, stop: () => undefined };
  const started = Date.now();
  const inFlight = new Map<string, InFlight>();
  let finished = 0;
  /** Submissions finished plus the finished share of those in flight: moves with every case. */
  const fraction = () => finished + [...inFlight.values()].reduce((n, s) => n + (s.cases ? Math.min(s.done, s.cases) / s.cases : 0), 0);
  const eta = () => {
    const progress = fraction();
    const elapsed = (Date.now() - started) / 1000;
    return progress > 0 ? formatSeconds((elapsed / progress) * (total - progress)) : '?';
  };
  if (kind === 'lines') {
    return {
      start(name, cases) {
        inFlight.set(name, { cases, done: 0 });
        stream.write(`[${finished}/${total}] ${name}: grading… (${inFlight.size} in flight)\n`);
      },
      caseDone(name) {
        const s = inFlight.get(name);
        if (s) s.done++;
      },
      done(name, summary) {
        inFlight.delete(name);
        finished++;
        const elapsed = (Date.now() - started) / 1000;
        const left = finished < total ? ` · ETA ${eta()}` : '';
        stream.write(`[${finished}/${total}] ${name}: ${summary} (${formatSeconds(elapsed)} elapsed${left})\n`);
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: 'grading [{bar}] {finished}/{total} | ETA {eta} | {what}',
      stream: stream as NodeJS.WriteStream,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let last = '';
  const what = () => {
    const names = [...inFlight.entries()].map(([name, s]) => (s.cases ? `${name} ${Math.min(s.done, s.cases)}/${s.cases}` : name));
    const text = names.length ? `now: ${names.join(', ')}` : last;
    return text.length > IN_FLIGHT_CHARS ? `${text.slice(0, IN_FLIGHT_CHARS - 1)}…` : text;
  };
  // Rendered on every change, not on cli-progress's timer alone, so each case shows at once.
  const redraw = () => {
    bar.update(fraction(), { finished, eta: eta(), what: what() });
    bar.render();
  };
  bar.start(total, 0, { finished: 0, eta: '?', what: '' });
  return {
    start(name, cases) {
      inFlight.set(name, { cases, done: 0 });
      redraw();
    },
    caseDone(name) {
      const s = inFlight.get(name);
      if (!s) return;
      s.done++;
      redraw();
    },
    done(name, summary) {
      inFlight.delete(name);
      finished++;
      last = `${name}: ${summary}`;
      redraw();
    },
    stop() {
      bar.stop();
    },
  };
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  const sec = Math.round(s % 60);
  return m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
