// Text a student controls (a hand-in's name, a crash line, a server's output) leaves the kit on a
// terminal, in grade.log, in gradebook.csv, in JSON rendered as Markdown. Every control character is
// made visible instead of acted on: ESC starts colour, screen-clearing, window-title and hyperlink
// sequences; CR and BS overwrite what a TA reads; BEL rings; a newline forges a line of its own; bidi
// overrides reorder what is shown. C0 controls become their Unicode "control pictures" (ESC -> ␛),
// so a TA sees that something was there; C1 controls and bidi controls become <U+XXXX>.
// This is the kit's one sanitiser: every place that writes student-controlled text uses it.

/** C0 (except the ones a caller keeps), DEL, C1, and the bidi embedding/override/isolate controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function picture(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/** For a one-line field (a name, a status, a progress line): no control character survives, newlines included. */
export function oneLine(text: string): string {
  return text.replace(CONTROL, picture);
}

/**
 * For a block of lines (a log entry, a traceback shown as code): line breaks stay, normalised to
 * "\n" (a lone CR is a line break too, as CommonMark reads it), tabs stay; every other control is shown.
 */
export function multiLine(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(CONTROL, (ch) => (ch === '\t' ? ch : picture(ch))))
    .join('\n');
}

/**
 * A spreadsheet runs a cell starting with = + - @ as a formula, also after leading spaces, and a
 * leading tab or CR as well; a quote in front makes it text. Applied after oneLine.
 */
export function spreadsheetText(text: string): string {
  const safe = oneLine(text);
  // After oneLine a leading tab or CR is a control picture (␉, ␍): those count as spaces here.
  return /^[\s\u2400-\u241f]*[=+\-@]/.test(safe) ? `'${safe}` : safe;
}

/**
 * A CommonMark fenced code block that nothing inside `text` can close: the fence is longer than
 * the longest run of backticks in the text, and the block must stand at the top level (not inside
 * a list item, whose end would end it). Line breaks are normalised, controls shown.
 */
export function fencedBlock(text: string, info = 'text'): string {
  const body = multiLine(text);
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${body}\n${fence}`;
}
