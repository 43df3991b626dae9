import { InstaNetError } from '../errors.ts';
// {{...}} templates inside requests, expanded at run time so scenario files stay short and runs
// stay deterministic: timestamps come from a run-wide counter (unique, so two posts never share
// an image file name), not from the clock.
//   {{ts.post}}  next timestamp as '%Y-%m-%d %H:%M:%S'     {{ts.iso}}  next timestamp, isoformat()
//   {{ts.last.post}} / {{ts.last.iso}}  the timestamp handed out last; {{ts.last.file}} as in image names
//   {{i}} {{j}}  connection number and repetition in a concurrent step
//   {{repeat:N:text}}  text repeated N times (long messages)

export class TemplateError extends InstaNetError<'INSTANET_ERR_TEMPLATE'> {
  constructor(message: string) {
    super('INSTANET_ERR_TEMPLATE', message);
  }
}

const BASE = Date.UTC(2025, 4, 13, 9, 0, 0);

export class Clock {
  #n = 0;
  #last = BASE;
  next(): number {
    this.#n += 1;
    this.#last = BASE + this.#n * 1000;
    return this.#last;
  }
  get last(): number {
    return this.#last;
  }
}

const pad = (n: number) => String(n).padStart(2, '0');
export function postTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
export const isoTime = (ms: number) => postTime(ms).replace(' ', 'T');

export interface TemplateVars {
  clock: Clock;
  i?: number;
  j?: number;
}

const TOKEN = /\{\{([^}]*)\}\}/g;

export function expandString(text: string, vars: TemplateVars): string {
  return text.replace(TOKEN, (_, raw: string) => {
    // Spaces inside repeat text are part of the text; elsewhere they are layout.
    const start = raw.trimStart();
    const expr = start.startsWith('repeat:') ? start : start.trim();
    if (expr === 'ts.post') return postTime(vars.clock.next());
    if (expr === 'ts.iso') return isoTime(vars.clock.next());
    if (expr === 'ts.last.post') return postTime(vars.clock.last);
    if (expr === 'ts.last.iso') return isoTime(vars.clock.last);
    // The post timestamp as the course names image files: ':' becomes '-'.
    if (expr === 'ts.last.file') return postTime(vars.clock.last).replaceAll(':', '-');
    if (expr === 'i' || expr === 'j') {
      const v = vars[expr];
      if (v === undefined) throw new TemplateError(`{{${expr}}} is only defined inside a concurrent step`);
      return String(v);
    }
    const repeat = /^repeat:(\d+):([\s\S]*)$/.exec(expr);
    if (repeat) return (repeat[2] ?? '').repeat(Number(repeat[1]));
    throw new TemplateError(`unknown template {{${expr}}}`);
  });
}

/** Expands templates in every string of a JSON value (keys included); a string that is exactly "{{i}}" stays a string. */
export function expand<T>(value: T, vars: TemplateVars): T {
  if (typeof value === 'string') return expandString(value, vars) as T;
  if (Array.isArray(value)) return value.map((v) => expand(v, vars)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [expandString(k, vars), expand(v, vars)])) as T;
  }
  return value;
}
