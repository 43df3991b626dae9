import { InvalidArgumentError } from 'commander';

// Address arguments of the transcript commands: "5001", ":5001", "host:5001" or "[::1]:5001".

export function parseHostPort(text: string, options: { defaultHost?: string; allowZero?: boolean } = {}): { host: string; port: number } {
  const m = /^(?:(?:\[([^\]]+)\]|([^:[\]]*)):)?(\d+)$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  const min = options.allowZero ? 0 : 1;
  if (!m || !Number.isInteger(port) || port < min || port > 65535) {
    throw new InvalidArgumentError(`expected [host:]port with a port from ${min} to 65535 (e.g. 127.0.0.1:5001), got "${text}"`);
  }
  return { host: m[1] ?? (m[2] || options.defaultHost || '127.0.0.1'), port };
}

export function formatHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function positiveInteger(name: string, min = 1) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min) {
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got "${value}"`);
    }
    return parsed;
  };
}
