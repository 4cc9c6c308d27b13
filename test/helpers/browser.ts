import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

/**
 * Browser tests drive Debian's `chromium` package through playwright-core; nothing downloads a
 * browser. `.ci/run` installs the package when it is missing; on a machine without it the
 * browser suites skip with a plain message (scripts/test.mjs says so at the end of the run).
 */
export function chromiumPath(): string {
  return process.env['GUESTPASS_TEST_CHROMIUM'] ?? '/usr/bin/chromium';
}

export const chromiumAvailable = existsSync(chromiumPath());

/**
 * The flags the machine needs: headless as root without a sandbox, and no background
 * networking, whose connections this machine's closed network refuses many at a time.
 */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: FLAGS });
}

/**
 * A suite with one Chromium of its own (closed afterwards), skipped with a plain message when
 * the browser is not installed. `body` gets a function that opens a fresh context (its own
 * cookies and storage, like a new visitor) once `before` ran.
 */
export function describeWithBrowser(name: string, body: (browser: () => Browser, newContext: () => Promise<BrowserContext>) => void): void {
  describe(name, { skip: chromiumAvailable ? false : `Chromium not found at ${chromiumPath()} (apt-get install chromium)` }, () => {
    let browser: Browser | undefined;
    const profile = mkdtempSync(join(tmpdir(), 'guestpass-chromium-'));
    before(async () => {
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
      rmSync(profile, { recursive: true, force: true });
    });
    body(
      () => browser!,
      () => browser!.newContext({ viewport: { width: 1280, height: 800 } }),
    );
  });
}
