import { createWriteStream, type WriteStream } from 'node:fs';
import { multiLine, oneLine } from '../../base/safe-text.ts';

// grade.log: one timestamped line per event, plain text, so `grep alice grade.log` answers "what
// happened to alice's submission" without a viewer. A message's own lines are indented under it and
// its control characters shown, so a hand-in's name or crash line can neither forge a line nor drive
// the terminal of whoever runs `cat grade.log`.

export class GradeLog {
  private readonly stream: WriteStream;
  constructor(file: string) {
    this.stream = createWriteStream(file, { flags: 'a' });
  }

  line(level: 'INFO' | 'WARN' | 'ERROR', message: string): void {
    // Only an error keeps its lines (a stack trace), indented; an event is one line, whatever it quotes.
    const lines = level === 'ERROR' ? multiLine(message).split('\n').map(oneLine) : [oneLine(message)];
    this.stream.write(`${new Date().toISOString()} ${level} ${lines.join('\n    ')}\n`);
  }

  info(message: string): void {
    this.line('INFO', message);
  }

  warn(message: string): void {
    this.line('WARN', message);
  }

  error(message: string): void {
    this.line('ERROR', message);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
