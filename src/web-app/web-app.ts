import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The web app (`web/`, built by `vite build`) served by the API process at `/`.
 *
 * Written as one plain Node handler (IncomingMessage, ServerResponse) so it does not
 * depend on the HTTP adapter; mountWebApp calls it from a Fastify `onRequest` hook.
 *
 * - Files are read once at start-up (the build is a few hundred KB) with a gzip copy of
 *   the text ones, and an ETag each.
 * - `/assets/*` have content hashes in their names: cached for a year, immutable.
 *   Everything else (index.html) is revalidated on every load, so a deploy shows at once.
 * - Any other GET of a path without a file extension (outside API_PATHS) is an app route: index.html (the
 *   app's router takes it from there). A missing file with an extension is a 404, never
 *   index.html: a stale chunk must fail loudly, not parse HTML as JavaScript.
 * - A strict Content-Security-Policy: scripts only from our origin, no inline script, no
 *   eval; API calls only to our origin. Vant's icon font is a data: URL.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  // The WeChat sign-in lands on `/?code=…`: never hand that URL to another site.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Paths the API owns; the app never answers them (`/public/…`: the printable statements). */
const API_PATHS = /^\/(graphql|health|metrics|admin\/queues|public|deeds)(\/|$|\?)/;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

interface StaticFile {
  body: Buffer;
  gzipped?: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
}

export interface WebApp {
  files: Map<string, StaticFile>;
  index: StaticFile;
}

/** Reads the built app from `dir`, or undefined when it has not been built. */
export function loadWebApp(dir: string): WebApp | undefined {
  const root = resolve(dir);
  if (!existsSync(join(root, 'index.html'))) return undefined;
  const files = new Map<string, StaticFile>();
  for (const path of walk(root)) {
    const urlPath = '/' + relative(root, path).split(sep).join('/');
    if (urlPath.startsWith('/.vite/')) continue; // the build manifest: for the size check only
    const ext = extname(path);
    const body = readFileSync(path);
    files.set(urlPath, {
      body,
      gzipped: COMPRESSIBLE.has(ext) && body.length > 512 ? gzipSync(body, { level: 9 }) : undefined,
      type: TYPES[ext] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      cacheControl: urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  }
  return { files, index: files.get('/index.html')! };
}

/** Answers the request if it is the app's; false leaves it to the API. */
export function serveWebApp(app: WebApp, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = req.url ?? '/';
  if (API_PATHS.test(url)) return false;
  let path: string;
  try {
    path = decodeURIComponent(url.split('?')[0]);
  } catch {
    path = '';
  }
  const file = app.files.get(path) ?? (isAppRoute(path) ? app.index : undefined);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' }).end('未找到该文件');
    return true;
  }
  res.setHeader('etag', file.etag);
  res.setHeader('cache-control', file.cacheControl);
  res.setHeader('vary', 'accept-encoding');
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304).end();
    return true;
  }
  const gzip = file.gzipped && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? file.gzipped! : file.body;
  res.writeHead(200, { 'content-type': file.type, 'content-length': body.length, ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

/** `/`, `/r/home`, `/m/activities/…`: no dot in the last segment, nothing odd in it. */
function isAppRoute(path: string): boolean {
  return path.startsWith('/') && !path.includes('..') && !/\.[^/]*$/.test(path);
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

/**
 * Fastify: the app in front of Nest's routes (it only answers GETs the API does not own).
 * serveWebApp writes to a stand-in response whose status, headers and body are then sent
 * through Fastify's reply, so a page load gets its request log line, metrics and
 * `x-request-id` like any other request.
 */
export function mountWebApp(nest: NestFastifyApplication, dir: string): void {
  const app = loadWebApp(dir);
  if (!app) {
    new Logger('WebApp').warn(`no web app at ${resolve(dir)} (run \`npm run build\`): serving the API only`);
    return;
  }
  nest
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
      const answer = new RecordedResponse();
      if (!serveWebApp(app, request.raw, answer as unknown as ServerResponse)) return done();
      void reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
}

/** The part of ServerResponse serveWebApp uses, kept for the Fastify reply. */
class RecordedResponse {
  status = 200;
  headers: Record<string, string | number> = {};
  body?: Buffer;

  setHeader(name: string, value: string | number) {
    this.headers[name] = value;
    return this;
  }

  writeHead(status: number, headers: Record<string, string | number> = {}) {
    this.status = status;
    Object.assign(this.headers, headers);
    return this;
  }

  end(body?: Buffer | string) {
    this.body = typeof body === 'string' ? Buffer.from(body) : body;
    return this;
  }
}
