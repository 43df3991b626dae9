import readline from 'node:readline';
import type { TextSink } from '../cli/io.ts';

// Lines from readline as a pull queue: piped input can deliver every line before the shell is ready
// for the first, and none may be lost. Also owns the prompt, so notices printed while the user types
// can redraw it.

interface MutableInterface {
  // readline has no public switch to hide typed characters (for the password); this private
  // method is the one every Node version routes echo through.
  _writeToOutput(text: string): void;
}

export class LineReader {
  private readonly lines: string[] = [];
  private waiter: ((line: string | undefined) => void) | undefined;
  private ended = false;
  private muted = false;
  /** True while the shell waits for the user at a prompt (notices must then redraw it). */
  atPrompt = false;

  constructor(
    readonly rl: readline.Interface,
    private readonly out: TextSink,
    readonly interactive: boolean,
  ) {
    rl.on('line', (line) => {
      if (this.waiter) {
        const resolve = this.waiter;
        this.waiter = undefined;
        resolve(line);
      } else {
        this.lines.push(line);
      }
    });
    rl.on('close', () => {
      this.ended = true;
      this.waiter?.(undefined);
      this.waiter = undefined;
    });
    // Ctrl-C at the prompt clears the line instead of killing the shell (Ctrl-D or `quit` leave).
    rl.on('SIGINT', () => {
      this.out.write('^C (type quit or press Ctrl-D to leave)\n');
      rl.write(null, { ctrl: true, name: 'u' });
      rl.prompt();
    });
    if (interactive) {
      const mutable = rl as unknown as MutableInterface;
      const original = mutable._writeToOutput.bind(rl);
      mutable._writeToOutput = (text: string) => {
        if (!this.muted) original(text);
      };
    }
  }

  private nextLine(): Promise<string | undefined> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Shows `prompt` and waits for a line; undefined at end of input. */
  async read(prompt: string, options: { hidden?: boolean } = {}): Promise<string | undefined> {
    if (this.interactive) {
      this.rl.setPrompt(prompt);
      this.rl.prompt();
      this.muted = Boolean(options.hidden);
    } else if (options.hidden || prompt.endsWith(': ')) {
      // Questions are shown even when piped, so a transcript reads naturally; the command prompt is not.
      this.out.write(prompt);
    }
    this.atPrompt = true;
    try {
      const line = await this.nextLine();
      if (!this.interactive && (options.hidden || prompt.endsWith(': '))) this.out.write('\n');
      return line;
    } finally {
      this.atPrompt = false;
      if (this.muted) {
        this.muted = false;
        this.out.write('\n');
      }
    }
  }

  /** Prints a line without garbling what the user is typing. */
  notice(text: string): void {
    if (this.interactive && this.atPrompt) {
      const output = this.out as unknown as NodeJS.WritableStream;
      readline.clearLine(output, 0);
      readline.cursorTo(output, 0);
      this.out.write(`${text}\n`);
      this.rl.prompt(true);
    } else {
      this.out.write(`${text}\n`);
    }
  }

  close(): void {
    this.rl.close();
  }
}
