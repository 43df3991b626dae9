import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { photo, smallJpeg } from './test-images.ts';
import { launchChromium } from '../testing/chromium.ts';

const IMAGES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'images');

describe('test images', () => {
  it('the committed images are exactly what the generator makes (npx tsx harness/tools/make-test-images.ts)', () => {
    expect(readFileSync(path.join(IMAGES, 'small.jpg')).equals(smallJpeg())).toBe(true);
    expect(readFileSync(path.join(IMAGES, 'photo-35k.jpg')).equals(photo(35 * 1024))).toBe(true);
  });

  it('photo() is deterministic, exactly the size asked, JPEG-framed, and binary throughout', () => {
    const a = photo();
    expect(a.length).toBe(2 * 1024 * 1024);
    expect(a.equals(photo())).toBe(true);
    expect(a.equals(photo(a.length, 357))).toBe(false);
    expect(a.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(a.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    expect(new Set(a.subarray(0, 65536)).size).toBe(256);
    expect(photo(100).length).toBe(100);
    expect(() => photo(3)).toThrow(RangeError);
  });

  it('smallJpeg() is a real JPEG: Chromium decodes it to a 16x16 grey picture', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      // A string, so this Node-typed file needs no DOM types; it runs in the page.
      const decoded = await page.evaluate(`(async () => {
        const image = new Image();
        image.src = 'data:image/jpeg;base64,${smallJpeg().toString('base64')}';
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = image.naturalWidth;
        canvas.height = image.naturalHeight;
        const context = canvas.getContext('2d');
        context.drawImage(image, 0, 0);
        return { width: image.naturalWidth, height: image.naturalHeight, pixel: Array.from(context.getImageData(8, 8, 1, 1).data) };
      })()`);
      expect(decoded).toEqual({ width: 16, height: 16, pixel: [128, 128, 128, 255] });
      expect(smallJpeg().length).toBeGreaterThan(200);
      expect(smallJpeg().length).toBeLessThan(1024);
    } finally {
      await browser.close();
    }
  });
});
