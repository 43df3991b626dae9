import { chromium, type Browser } from 'playwright-core';

// Debian's Chromium, headless, with nothing that phones home or slows a start on a busy machine:
// the one way the tests open a real browser.
export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(timeoutMs = 30_000): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    timeout: timeoutMs,
  });
}
