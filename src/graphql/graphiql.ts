import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * GraphiQL for developers: a browser opening `/graphql` (GET, `Accept: text/html`, no
 * `query` parameter) gets the IDE instead of an error. Development only; production
 * never mounts it.
 *
 * Its files come from the `graphiql`, `react` and `react-dom` packages in node_modules
 * (development dependencies), never from a CDN: many networks here cannot reach one.
 * They are served under `/graphql/ide/` (a path the web app leaves to the API) with a
 * Content-Security-Policy that allows this origin only. The IDE sends JSON POSTs, which
 * Apollo's CSRF prevention lets through as before; nothing about API requests changes.
 */
export const GRAPHIQL_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PREFIX = '/graphql/ide/';

/** URL file name → [package, path inside it]. */
const PACKAGED: Record<string, [string, string]> = {
  'react.js': ['react', 'umd/react.production.min.js'],
  'react-dom.js': ['react-dom', 'umd/react-dom.production.min.js'],
  'graphiql.js': ['graphiql', 'graphiql.min.js'],
  'graphiql.css': ['graphiql', 'graphiql.min.css'],
};

const PAGE = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>文明银行 GraphQL (GraphiQL)</title>
<link rel="stylesheet" href="${PREFIX}graphiql.css">
<link rel="stylesheet" href="${PREFIX}page.css">
</head>
<body>
<div id="graphiql">正在加载 GraphiQL…</div>
<script src="${PREFIX}react.js"></script>
<script src="${PREFIX}react-dom.js"></script>
<script src="${PREFIX}graphiql.js"></script>
<script src="${PREFIX}start.js"></script>
</body>
</html>
`;

const PAGE_CSS = `html, body { height: 100%; margin: 0; } #graphiql { height: 100vh; }\n`;

/** No inline script is allowed, so the start-up code is a file too. */
const START_JS = `'use strict';
var DEFAULT_QUERY = [
  '# 文明银行 API. Log in first (development: DEV_LOGIN_ENABLED=true), e.g.',
  '#   mutation { devLogin(mobile: "13800000001") { accessToken } }',
  '# then put {"authorization": "Bearer <accessToken>"} under Headers below.',
  '{',
  '  me { name roles { role townshipId branchId } }',
  '}',
  '',
].join('\\n');
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({ url: '/graphql' }),
    defaultQuery: DEFAULT_QUERY,
    defaultEditorToolsVisibility: true,
  }),
);
`;

interface IdeFile {
  body: Buffer;
  type: string;
}

/** The IDE's files, or undefined when its packages are not installed (`npm ci --omit=dev`). */
export function loadGraphiql(): Map<string, IdeFile> | undefined {
  const files = new Map<string, IdeFile>();
  for (const [name, [pkg, path]] of Object.entries(PACKAGED)) {
    let file: string;
    try {
      file = join(dirname(require.resolve(`${pkg}/package.json`)), path);
    } catch {
      return undefined;
    }
    if (!existsSync(file)) return undefined;
    files.set(name, { body: readFileSync(file), type: contentType(name) });
  }
  files.set('start.js', { body: Buffer.from(START_JS), type: contentType('start.js') });
  files.set('page.css', { body: Buffer.from(PAGE_CSS), type: contentType('page.css') });
  return files;
}

function contentType(name: string): string {
  return name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
}

/** Does this request ask for the IDE page rather than run an operation? */
export function wantsGraphiqlPage(method: string, url: string, accept: string | undefined): boolean {
  if (method !== 'GET') return false;
  const [path, search = ''] = url.split('?');
  if (path !== '/graphql') return false;
  return !new URLSearchParams(search).has('query') && /\btext\/html\b/.test(accept ?? '');
}

export function mountGraphiql(nest: NestFastifyApplication, production: boolean): void {
  if (production) return;
  const files = loadGraphiql();
  const logger = new Logger('GraphiQL');
  if (!files) {
    logger.warn('graphiql, react or react-dom is not installed (development dependencies): no IDE at /graphql');
    return;
  }
  const fastify = nest.getHttpAdapter().getInstance();
  const secure = (reply: FastifyReply) =>
    reply
      .header('content-security-policy', GRAPHIQL_CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache');
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    if (!wantsGraphiqlPage(request.method, request.url, request.headers.accept)) return done();
    void secure(reply).type('text/html; charset=utf-8').send(PAGE);
  });
  fastify.get(`${PREFIX}:file`, (request: FastifyRequest<{ Params: { file: string } }>, reply: FastifyReply) => {
    const file = files.get(request.params.file);
    if (!file) return secure(reply).code(404).type('text/plain; charset=utf-8').send('未找到该文件');
    return secure(reply).type(file.type).send(file.body);
  });
  logger.log('GraphiQL (development) at GET /graphql in a browser');
}
