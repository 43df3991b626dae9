import cliProgress from 'cli-progress';

// A bar with an ETA on a terminal; on CI logs and pipes, one plain line per finished submission
// (a redrawn bar there is unreadable noise).

export interface Progress {
  done(name: string, summary: string): void;
  stop(): void;
}

export function createProgress(total: number, stream: NodeJS.WriteStream | NodeJS.WritableStream, mode: 'auto' | 'bar' | 'lines' | 'none'): Progress {
  const tty = 'isTTY' in stream && (stream as NodeJS.WriteStream).isTTY === true;
  const kind = mode === 'auto' ? (tty ? 'bar' : 'lines') : mode;
  if (kind === 'none') return { done: () => undefined, stop: () => undefined };
  if (kind === 'lines') {
    let count = 0;
    const started = Date.now();
    return {
      done(name, summary) {
        count++;
        const elapsed = (Date.now() - started) / 1000;
        const eta = count < total ? ` · ETA ${formatSeconds((elapsed / count) * (total - count))}` : '';
        stream.write(`[${count}/${total}] ${name}: ${summary} (${formatSeconds(elapsed)} elapsed${eta})\n`);
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: 'grading [{bar}] {value}/{total} | ETA {eta_formatted} | {last}',
      stream: stream as NodeJS.WriteStream,
      hideCursor: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { last: '' });
  return {
    done(name, summary) {
      bar.increment(1, { last: `${name}: ${summary}`.slice(0, 60) });
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
