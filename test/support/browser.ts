import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, CDPSession, Page } from 'puppeteer-core';
import puppeteer from 'puppeteer-core';

/** Where a Chromium may be: CHROMIUM_PATH, else Debian's package, else the usual names. */
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const CHROMIUM: string | undefined = CANDIDATES.find((path): path is string => !!path && existsSync(path));

export const NO_CHROMIUM_REASON =
  'Browser tests skipped: no Chromium found (looked at CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser, /usr/bin/google-chrome). ' +
  'Install it with `sudo apt-get install -y chromium` or set CHROMIUM_PATH.';

/** Screenshots of each walk, for people to look at (not compared by the tests). */
export const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-output', 'screenshots');

/** Flags that work in a container as root, with no network of its own beyond this machine. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // The pages are served on 127.0.0.1; Chromium would also try ::1 for localhost.
  '--host-resolver-rules=MAP localhost 127.0.0.1',
];

export interface RunningBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile, removed on close. */
export async function launchChromium(): Promise<RunningBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'todo-api-chromium-'));
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, userDataDir: profile, args: FLAGS });
  return {
    browser,
    close: async () => {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The DevTools Protocol's virtual authenticator: a platform passkey store with user verification
 * that always succeeds, as a phone or laptop with a fingerprint would.
 */
export async function addVirtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.createCDPSession();
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

/** Everything a page loaded and every CSP violation it reported, recorded from before its first script runs. */
export async function watch(page: Page): Promise<{ requests: string[] }> {
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  // Browser code as text: this project compiles without the DOM's types.
  await page.evaluateOnNewDocument(`
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI));
  `);
  return { requests };
}

export const cspViolations = (page: Page) => page.evaluate('window.__cspViolations') as Promise<string[]>;

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical violations on the page as it is now. axe is evaluated through
 * DevTools, which the page's CSP does not govern; the page itself stays untouched.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)`)) as {
    id: string;
    impact: string;
    help: string;
    nodes: unknown[];
  }[];
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.length} element(s))`);
}

/** Widest content at a 320 px viewport, against the viewport: equal when nothing scrolls sideways. */
export async function widthAt320(page: Page): Promise<{ scrollWidth: number; viewport: number }> {
  await page.setViewport({ width: 320, height: 640 });
  return page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, viewport: window.innerWidth })') as Promise<{
    scrollWidth: number;
    viewport: number;
  }>;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: path, fullPage: true });
  return path;
}
