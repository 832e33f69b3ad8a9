// How the browser tests run Chromium: Debian's build through playwright-core, headless, with the
// background networking off (this machine's network is closed) and screenshots in test/artifacts.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Headless Chromium says "HeadlessChrome" in its user agent, which the bot filter (rightly)
// does not count; a person's browser is what the tests play.
export const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

/** Fails loudly when Chromium is missing, and makes the artifacts folder. */
export const prepareBrowserTest = async (): Promise<void> => {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  await mkdir(ARTIFACTS, { recursive: true });
};
