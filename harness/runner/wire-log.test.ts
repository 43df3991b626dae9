import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ScenarioConnection, UNREAD_MAX_BYTES } from './connection.ts';
import { CASE_CONNECTION_MAX_BYTES, CASE_MAX_BYTES, WireLog } from './wire-log.ts';

// Issue 20: a server that sends 8 MB of `{}` after each reply held the grader at 3.3 GB through
// the case transcript. The transcript must stay under its cap and say what it did not record.

// Below what the kit reads unasked (connection.ts UNREAD_MAX_BYTES), so all of it reaches the log.
const FLOOD = Buffer.from('{}'.repeat(384 * 1024));
let server: net.Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe('WireLog under a frame flood', () => {
  it('keeps a case transcript under its cap and states the bytes and frames it did not record', async () => {
    server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.write('{"status": "success"}');
        socket.end(FLOOD);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const wire = new WireLog('case flood');
    const conn = await ScenarioConnection.open('c1', '127.0.0.1', port, 5000, wire);
    await conn.write([Buffer.from('{"action": "get_all_users"}')], 0, 'json', 'a request');
    expect((await conn.readJson(5000, 'a reply')).value).toEqual({ status: 'success' });
    // The scenario reads no more; the flood (within the decoder's high-water mark) still reaches the log.
    expect(await conn.waitClosed(30_000)).toBe(true);
    conn.destroy('end of case');
    wire.finish('end of case');

    const size = wire.events.reduce((n, e) => n + JSON.stringify(e).length + 1, 0);
    expect(size).toBeLessThan(CASE_MAX_BYTES);
    const s2c = wire.events.filter((e) => e.dir === 's2c');
    const recordedFrames = s2c.filter((e) => e.kind === 'json').length;
    const dropped = s2c.reduce((n, e) => n + (e.kind === 'note' ? (e.dropped ?? 0) : 0), 0);
    // Every byte the server sent is recorded or counted: the reply, then 2 bytes a `{}`.
    expect(dropped + 21 + (recordedFrames - 1) * 2).toBe(21 + FLOOD.length);
    // And every frame: the notes' counts and the events add up to the frames sent.
    const notes = s2c.filter((e) => e.kind === 'note').map((e) => e.note ?? '');
    expect(notes).toEqual([
      expect.stringMatching(new RegExp(`^recording cap reached \\(${CASE_CONNECTION_MAX_BYTES} bytes for s2c on this connection\\): \\d+ held bytes \\(\\d+ frames\\)`)),
      expect.stringMatching(/^\d+ bytes in \d+ frames not recorded: cap reached/),
    ]);
    const framesIn = (note: string) => Number(/(\d+) frames/.exec(note)?.[1]);
    expect(recordedFrames - 1 + framesIn(notes[0]!) + framesIn(notes[1]!)).toBe(FLOOD.length / 2);
  }, 60_000);

  it('reads no more than about a mebibyte a server pushes unasked: the rest waits on TCP', async () => {
    const big = Buffer.from('{}'.repeat(4 * 1024 * 1024));
    server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.write('{"status": "success"}');
        socket.write(big);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const wire = new WireLog('case flood');
    const conn = await ScenarioConnection.open('c1', '127.0.0.1', port, 5000, wire);
    await conn.write([Buffer.from('{"action": "get_all_users"}')], 0, 'json', 'a request');
    expect((await conn.readJson(5000, 'a reply')).value).toEqual({ status: 'success' });
    // Bounded wait for the pause: until the kit holds more than the mark, then as long again.
    for (let i = 0; i < 200 && conn.bytesIn <= UNREAD_MAX_BYTES; i += 1) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 500));
    expect(conn.bytesIn).toBeGreaterThan(UNREAD_MAX_BYTES);
    // One read's worth past the mark, not the 8 MB sent.
    expect(conn.bytesIn).toBeLessThan(UNREAD_MAX_BYTES + 256 * 1024);
    conn.destroy('end of case');
    wire.finish('end of case');
    // The log still says what it did not record.
    expect(wire.events.some((e) => e.kind === 'note' && e.dir === 's2c' && /frames not recorded/.test(e.note ?? ''))).toBe(true);
  }, 60_000);
});
