import { createWriteStream, type WriteStream } from 'node:fs';

// grade.log: one timestamped line per event, plain text, so `grep alice grade.log` answers "what
// happened to alice's submission" without a viewer.

export class GradeLog {
  private readonly stream: WriteStream;
  constructor(file: string) {
    this.stream = createWriteStream(file, { flags: 'a' });
  }

  line(level: 'INFO' | 'WARN' | 'ERROR', message: string): void {
    this.stream.write(`${new Date().toISOString()} ${level} ${message.replace(/\n/g, '\n    ')}\n`);
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
