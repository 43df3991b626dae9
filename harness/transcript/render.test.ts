import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTranscript } from './read.ts';
import { TranscriptRecorder } from './recorder.ts';
import { renderHtml } from './render-html.ts';
import { renderTerminal } from './render-terminal.ts';

const golden = async (name: string) =>
  parseTranscript(await readFile(fileURLToPath(new URL(`../../fixtures/transcripts/${name}.jsonl`, import.meta.url)), 'utf8'), name);

function hostile() {
  const rec = new TranscriptRecorder({ source: 'test <b>', title: 'evil </title><script>alert(1)</script>' });
  const conn = rec.connection('c1');
  conn.connected();
  conn.sent(Buffer.from('{"action": "login", "username": "<script>alert(2)</script>", "password": "\\u001b[2J"}'));
  conn.received(Buffer.from('{"status": "error", "message": "\x1b[31mred</div>"}'));
  conn.sent(Buffer.from('\x1b]0;pwned\x07'));
  conn.closed('c2s');
  return rec.transcript();
}

describe('transcript show (terminal)', () => {
  it('puts client and server in two columns with timing, and summarizes images', async () => {
    const out = renderTerminal(await golden('post-with-image'), { color: false, width: 140 });
    const lines = out.split('\n');
    const request = lines.find((l) => l.includes('"action": "upload_post"'))!;
    const ready = lines.find((l) => l.includes('{"status": "ready"}'))!;
    expect(request.indexOf('"action"')).toBeLessThan(request.indexOf('│'));
    expect(ready.indexOf('{"status"')).toBeGreaterThan(ready.indexOf('│'));
    expect(request).toMatch(/^\s+\d+\.\d ms c1 /);
    expect(out).toContain('image 397 B sha256 a866c7540559 image/jpeg');
    expect(out).toMatch(/22 events · 2 connections · 14 messages · 1 image · client \d+ B/);
  });

  it('never writes a control character from the wire to the terminal, and marks violations', () => {
    const out = renderTerminal(hostile(), { color: false, width: 160, full: true });
    expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(out).toContain('\\x1b[31mred');
    expect(out).toContain('✗ FRAME-1 client');
  });

  it('colors only when asked', async () => {
    const t = await golden('login');
    expect(renderTerminal(t, { color: true })).toContain('\x1b[');
    expect(renderTerminal(t, { color: false })).not.toContain('\x1b[');
  });
});

describe('transcript show --html', () => {
  it('is a self-contained sequence diagram that escapes everything from the wire', () => {
    const html = renderHtml(hostile());
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).toContain('evil &lt;/title&gt;&lt;script&gt;');
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).toContain('class="violation error"');
  });

  it('shows the image exchange with a thumbnail of a kept image', async () => {
    const html = renderHtml(await golden('image-dm'));
    expect(html).toMatch(/<img class="preview" alt="image of 397 B" src="data:image\/jpeg;base64,\/9j\//);
    expect(html).toContain('class="arrow c2s"');
    expect(html).toContain('class="arrow s2c"');
  });
});
