import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { GRAPHIQL_CONTENT_SECURITY_POLICY } from '../../src/graphql/graphiql';
import { startTestApp, TestApp } from '../support/test-app';
import { launchChromium } from './support/browser';

/** Opening /graphql in a browser: GraphiQL from node_modules in development, nothing in production. */
describe('GraphiQL at /graphql', () => {
  let dev: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    [dev, browser] = await Promise.all([startTestApp(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await dev?.close();
  });

  it('renders in Chromium from our own origin only, under a CSP that allows nothing else, and runs a query', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const elsewhere: string[] = [];
    page.on('console', (m) => m.type() === 'error' && !m.text().includes('404') && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => !r.url().startsWith(new URL(dev.url).origin) && elsewhere.push(r.url()));
    const response = await page.goto(dev.url);
    expect(response!.headers()['content-security-policy']).toBe(GRAPHIQL_CONTENT_SECURITY_POLICY);
    await page.waitForSelector('.graphiql-container');
    await page.click('.graphiql-execute-button');
    // The default query needs a login: the answer proves the IDE's POST reached the API.
    await page.locator('.graphiql-response', { hasText: 'UNAUTHENTICATED' }).waitFor();
    expect(problems).toEqual([]);
    expect(elsewhere).toEqual([]);
    await page.close();
  }, 60_000);

  it('leaves operations as they were: GET with a query runs it, CSRF prevention still refuses simple requests', async () => {
    const get = await fetch(`${dev.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
    const simple = await fetch(dev.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(simple.status).toBe(400);
    const missing = await fetch(new URL('/graphql/ide/nothing.js', dev.url));
    expect(missing.status).toBe(404);
  });

  it('is not served in production', async () => {
    const prod = await startTestApp({
      NODE_ENV: 'production',
      DEV_LOGIN_ENABLED: 'false',
      JWT_SECRET: randomBytes(48).toString('base64'),
      METRICS_TOKEN: randomBytes(24).toString('hex'),
    });
    try {
      const page = await fetch(prod.url, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toContain('graphiql');
      expect((await fetch(new URL('/graphql/ide/graphiql.js', prod.url))).status).toBe(404);
    } finally {
      await prod.close();
    }
  });
});
