import { existsSync } from 'node:fs';
import type { Test } from 'tap';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser (`apt-get install chromium`). */
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** The Chromium to drive: $CHROMIUM_PATH when set, else Debian's; null when neither is installed. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string | null {
  const given = env.CHROMIUM_PATH;
  if (given !== undefined && given !== '') {
    if (!existsSync(given)) throw new Error(`CHROMIUM_PATH names ${given}, which does not exist: fix it or unset it to use ${DEBIAN_CHROMIUM}`);
    return given;
  }
  return existsSync(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : null;
}

/**
 * A headless Chromium closed at the end of `t` (playwright-core drives the installed browser; nothing is
 * downloaded), or null after marking `t` skipped, saying why, when no Chromium is installed.
 */
export async function launchChromium(t: Test): Promise<Browser | null> {
  const executablePath = chromiumPath();
  if (executablePath === null) {
    t.plan(0, `SKIPPED: no Chromium installed (install Debian's chromium package, or set CHROMIUM_PATH): the browser tests did not run`);
    return null;
  }
  // The sandbox needs user namespaces, which CI containers (and root) do not get.
  // As root (CI) Chromium needs --no-sandbox; the rest keeps it off the network, which is closed here: its
  // background connections (updates, sync, QUIC probes) are refused by the machine, many at a time.
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => browser.close());
  return browser;
}
