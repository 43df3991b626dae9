import { InstaNetClient } from '../instanet-client.ts';
import { InstaNetClientError } from '../errors.ts';
import type { ConnectionSettings } from '../cli/connection-settings.ts';
import { describeFailure } from '../cli/describe-failure.ts';

// Keeps the shell logged in: opens the connection, notices when it is lost, and reconnects in the
// background with a capped exponential backoff, so a restarting server costs the user a message
// and a few seconds, not the shell.

export interface KeeperOptions {
  settings: ConnectionSettings;
  user: string;
  password: string;
  say(text: string): void;
  /** Called after every successful (re)connection and login. */
  onConnected?(client: InstaNetClient, reconnected: boolean): Promise<void> | void;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** A failure after which the connection cannot carry another request. */
export function losesConnection(error: unknown): boolean {
  return error instanceof InstaNetClientError && !error.connectionUsable;
}

export class ConnectionKeeper {
  private client: InstaNetClient | undefined;
  private opening: Promise<InstaNetClient> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private closed = false;

  constructor(private readonly options: KeeperOptions) {}

  get where(): string {
    return `${this.options.settings.host}:${this.options.settings.port}`;
  }

  get connected(): boolean {
    return this.client?.usable === true;
  }

  get reconnecting(): boolean {
    return this.timer !== undefined;
  }

  /** Connects and logs in; throws the failure (used for the first connection). */
  open(): Promise<InstaNetClient> {
    this.opening ??= (async () => {
      const { settings } = this.options;
      const client = await InstaNetClient.connect({
        host: settings.host,
        port: settings.port,
        timeoutMs: settings.timeoutMs,
        validation: settings.validation,
        onWarnings: (_action, warnings) => warnings.forEach((w) => this.options.say(`warning: ${w}`)),
        // A server that goes away between polls is noticed at once, not at the next request.
        onDisconnect: (reason) => {
          if (this.client === client) this.lost(reason);
        },
      });
      try {
        await client.login(this.options.user, this.options.password);
      } catch (error) {
        await client.close().catch(() => undefined);
        throw error;
      }
      const reconnected = this.client !== undefined;
      this.client = client;
      this.attempt = 0;
      await this.options.onConnected?.(client, reconnected);
      return client;
    })().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  /** Runs `task` on a live connection, connecting first if needed; a lost connection is reported and retried. */
  async use<T>(task: (client: InstaNetClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('the shell is closing');
    let client = this.connected ? this.client! : undefined;
    if (!client) {
      this.cancelRetry();
      try {
        client = await this.open();
        this.options.say(`reconnected to ${this.where} as ${this.options.user}`);
      } catch (error) {
        this.scheduleRetry();
        throw error;
      }
    }
    try {
      return await task(client);
    } catch (error) {
      if (losesConnection(error) || !client.usable) this.lost(error);
      throw error;
    }
  }

  /** Reports a lost connection once and starts reconnecting. */
  lost(error: unknown): void {
    if (this.closed || this.reconnecting) return;
    const failure = describeFailure(error, this.where);
    this.options.say(`⚠ connection to ${this.where} lost (${failure.message}); reconnecting in the background`);
    this.client?.destroy();
    this.attempt = 0;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.timer) return;
    const base = this.options.baseDelayMs ?? 500;
    const max = this.options.maxDelayMs ?? 10_000;
    const delay = Math.min(max, base * 2 ** this.attempt);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.retry(delay);
    }, delay);
  }

  private async retry(previousDelay: number): Promise<void> {
    if (this.closed || this.connected) return;
    try {
      await this.open();
      this.options.say(`✔ reconnected to ${this.where} as ${this.options.user}`);
    } catch (error) {
      this.attempt += 1;
      // Report the first tries, then only now and then, so a long outage does not flood the screen.
      if (this.attempt <= 3 || this.attempt % 6 === 0) {
        const next = Math.min(this.options.maxDelayMs ?? 10_000, Math.max(previousDelay * 2, 1));
        this.options.say(`reconnect attempt ${this.attempt} failed: ${describeFailure(error, this.where).message}; next try in ${(next / 1000).toFixed(1)} s`);
      }
      this.scheduleRetry();
    }
  }

  private cancelRetry(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelRetry();
    await this.opening?.catch(() => undefined);
    await this.client?.close().catch(() => undefined);
  }
}
