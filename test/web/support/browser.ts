import { existsSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, chromium, Page, selectors } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const INSTALL = 'apt-get install -y chromium fonts-wqy-microhei';
export const ARTIFACTS = resolve(__dirname, '../../../test-artifacts/web');

/** WeChat's in-app browser on Android, as the app sees it. */
export const WECHAT_UA =
  'Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.103 Mobile Safari/537.36 XWEB/1300289 MMWEBSDK/20241103 MMWEBID/1234 MicroMessenger/8.0.55.2780(0x28003737) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64';

/**
 * Debian's Chromium, driven by playwright-core. A missing browser or Chinese font fails
 * the tests with the command that installs them: never a skip.
 */
export async function launchChromium(executablePath = CHROMIUM): Promise<Browser> {
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: install it with \`${INSTALL}\` (or set CHROMIUM_PATH)`);
  let fonts = '';
  try {
    fonts = execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  } catch {
    // no fontconfig: reported below
  }
  if (!fonts.trim()) throw new Error(`No Chinese font installed (every character would render as an empty box): \`${INSTALL}\``);
  mkdirSync(ARTIFACTS, { recursive: true });
  // The app marks what tests look for with data-test="…".
  selectors.setTestIdAttribute('data-test');
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

export interface Phone {
  context: BrowserContext;
  page: Page;
  /** CSP violations, page errors and request URLs seen so far. */
  problems(): Promise<string[]>;
  urls: string[];
}

/** A phone-sized tab (or desktop-sized), Simplified Chinese, Asia/Shanghai, WeChat's user agent. */
export async function openPhone(browser: Browser, { width = 390, height = 844, wechat = true } = {}): Promise<Phone> {
  const context = await browser.newContext({
    viewport: { width, height },
    deviceScaleFactor: 1,
    isMobile: width < 600,
    hasTouch: width < 600,
    userAgent: wechat ? WECHAT_UA : undefined,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
  });
  // Runs before the page's own script (and is not subject to its CSP): records what the CSP blocks.
  await context.addInitScript(`
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
  `);
  const page = await context.newPage();
  const errors: string[] = [];
  const urls: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  context.on('request', (r) => urls.push(r.url()));
  return {
    context,
    page,
    urls,
    problems: async () => {
      const csp = await page.evaluate<string[]>('window.__cspViolations || []').catch(() => [] as string[]);
      return [...errors, ...csp.map((v) => `CSP: ${v}`)];
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(350); // let Vant's transitions settle
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
}
