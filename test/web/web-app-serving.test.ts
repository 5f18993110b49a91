import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CONTENT_SECURITY_POLICY } from '../../src/web-app/web-app';
import { startTestApp, TestApp } from '../support/test-app';

/** The API serving a built app (a small stand-in build, so this runs without vite). */
describe('the web app served by the API', () => {
  const dist = mkdtempSync(join(tmpdir(), 'cb-web-'));
  const index = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="app"></div></body></html>';
  const script = `console.log(${JSON.stringify('文明银行'.repeat(200))});`;
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'));
    mkdirSync(join(dist, '.vite'));
    writeFileSync(join(dist, 'index.html'), index);
    writeFileSync(join(dist, 'assets/index-abc123.js'), script);
    writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dist, '.vite/manifest.json'), '{}');
    t = await startTestApp({ WEB_DIST_DIR: dist });
    base = t.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it.each(['/', '/r/home', '/m/activities/4b1f0b6e-0000-4000-8000-000000000000/checkin', '/r/checkin?activity=x&code=123456', '/login?code=abc&state=def'])(
    'answers the app route %s with index.html, a strict CSP and no caching',
    async (path) => {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toBe(index);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    },
  );

  it('allows no inline script and no eval, and scripts and API calls only from its own origin', () => {
    const directives = Object.fromEntries(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it('serves hashed assets for a year, gzipped when asked, with an ETag that revalidates', async () => {
    const res = await fetch(`${base}/assets/index-abc123.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await res.text()).toBe(script); // fetch gunzips
    const raw = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
      require('node:http')
        .get(`${base}/assets/index-abc123.js`, { headers: { 'accept-encoding': 'gzip' }, agent: false }, (r: any) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }));
        })
        .on('error', reject);
    });
    expect(raw.encoding).toBe('gzip');
    expect(gunzipSync(raw.body).toString()).toBe(script);
    const again = await fetch(`${base}/assets/index-abc123.js`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('answers a missing file with 404, never with index.html, and does not serve the build manifest', async () => {
    for (const path of ['/assets/index-old999.js', '/favicon.png', '/.vite/manifest.json', '/assets/../index.html.bak']) {
      const res = await fetch(base + path);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('<div id="app">');
    }
    expect((await fetch(`${base}/favicon.svg`)).headers.get('content-type')).toBe('image/svg+xml');
  });

  it('leaves the public statements to the API: a page of an unknown branch or month is its 404, never index.html', async () => {
    for (const path of ['/public/statements/4b1f0b6e-0000-4000-8000-000000000000/2026-01', '/public/statements/x/2026-01/json', '/public/nothing']) {
      const res = await fetch(base + path);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('<div id="app">');
      expect(res.headers.get('content-security-policy')).not.toBe(CONTENT_SECURITY_POLICY);
    }
    const css = await fetch(`${base}/public/statement.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('leaves the API alone: GraphQL, health and the queue dashboard answer as before', async () => {
    const gql = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(await gql.json()).toEqual({ data: { __typename: 'Query' } });
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    // A GET of /graphql is Apollo's (CSRF prevention refuses it), not the app's index.html.
    const get = await fetch(`${base}/graphql?query=%7B__typename%7D`);
    expect(await get.text()).not.toContain('<div id="app">');
  });

  it('still keeps a simple cross-site POST to /graphql out (Apollo CSRF prevention)', async () => {
    const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(res.status).toBe(400);
  });
});
