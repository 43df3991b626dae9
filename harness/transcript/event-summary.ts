import { eventBytes } from './event-bytes.ts';
import type { TranscriptEvent } from './format.ts';

// One-line, terminal-safe summaries of events, shared by `transcript show`, the proxy's live
// output and the HTML page. Bytes from a peer may hold control characters (an ESC sequence could
// repaint a terminal), so everything shown passes through `visible`.

/** Control characters and invalid text made visible; never emits a raw control byte. */
export function visible(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (ch) => {
    switch (ch) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    }
  });
}

export function hexPreview(bytes: Buffer, max = 16): string {
  const shown = [...bytes.subarray(0, max)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > max ? `${shown} ...` : shown;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}

/** What kind of picture the bytes are, from their magic number, for labels and data: URLs. */
export function imageMime(bytes: Buffer): string | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.subarray(0, 6).toString('latin1'))) return 'image/gif';
  if (bytes.length >= 12 && bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return undefined;
}

/** The body of an event: what was on the wire, shortened to `width` characters when given. */
export function summarizeEvent(event: TranscriptEvent, width = Infinity): string {
  const clip = (text: string): string => (text.length > width ? `${text.slice(0, Math.max(1, width - 1))}…` : text);
  switch (event.kind) {
    case 'connect':
      return clip(`connected${event.note ? ` (${event.note})` : ''}`);
    case 'json':
      return clip(visible(event.text ?? JSON.stringify(event.json)));
    case 'image-length':
      return clip(`image length ${event.length} (${formatSize(event.length ?? 0)})${event.base64 ? ` header ${hexPreview(Buffer.from(event.base64, 'base64'), 8)}` : ''}`);
    case 'image-bytes': {
      const mime = event.preview ? imageMime(Buffer.from(event.preview, 'base64')) : undefined;
      const kept = event.preview !== undefined;
      return clip(`image ${formatSize(event.length ?? 0)} sha256 ${event.sha256?.slice(0, 12) ?? '?'}${mime ? ` ${mime}` : ''}${kept ? '' : ' (bytes not kept)'}`);
    }
    case 'raw': {
      const bytes = eventBytes(event) ?? Buffer.alloc(0);
      const shown = event.text !== undefined ? JSON.stringify(visible(event.text)) : `hex ${hexPreview(bytes)}`;
      const size = event.length ?? bytes.length;
      return clip(`${event.error ? `${event.error} ` : ''}${size} byte${size === 1 ? '' : 's'} ${shown}`);
    }
    case 'close':
      return clip(`closed${event.note ? ` (${event.note})` : ''}`);
    case 'timeout':
      return clip(`timeout${event.note ? `: ${event.note}` : ''}`);
    case 'note':
      return clip(`note: ${visible(event.note ?? '')}`);
  }
}
