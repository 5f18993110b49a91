import { INestApplication } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PrincipalLoader } from '../auth/principal.loader';
import { TokenService } from '../auth/token.service';
import { JobQueues } from '../jobs/job-queues';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
const COOKIE = 'cb_queues_token';
/** POST here with `Authorization: Bearer <admin token>` to get the dashboard's cookie. */
export const SESSION_PATH = '/session';

/**
 * Bull Board at /admin/queues, for township admins only, read-only: it shows every
 * township's jobs (their data is township ids and months, no personal data), so no one
 * may retry or delete from it; settlement is re-run through the API instead.
 *
 * A browser cannot send a bearer header for page loads, and a token must never travel in
 * a URL (browser history, proxy logs, Referer). So the app, holding the admin's token,
 * POSTs it once to `/admin/queues/session` as `Authorization: Bearer`; the answer sets
 * an HttpOnly, SameSite=Strict cookie scoped to the dashboard's path, and the browser
 * then opens `/admin/queues`. `Authorization: Bearer` works on every request as well.
 */
export function mountQueueDashboard(app: INestApplication): void {
  const queues = app.get(JobQueues);
  const tokens = app.get(TokenService);
  const principals = app.get(PrincipalLoader);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: [queues.themes, queues.settlement].map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: '文明银行 任务队列' } },
  });

  const onlyTownshipAdmins = async (req: IncomingMessage & { query?: Record<string, unknown> }, res: ServerResponse, next: () => void) => {
    const opensSession = req.method === 'POST' && new URL(req.url ?? '/', 'http://localhost').pathname === SESSION_PATH;
    // A session is opened by the bearer header only: a cookie cannot renew itself.
    const token = opensSession ? bearer(req.headers.authorization) : (bearer(req.headers.authorization) ?? cookie(req.headers.cookie, COOKIE));
    const principal = await verify(token);
    if (!principal?.adminOf.length) {
      res.writeHead(principal ? 403 : 401, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(principal ? '仅镇（总行）管理员可以查看任务队列' : '请先登录：在文明银行应用的“我的”页面打开任务队列');
      return;
    }
    if (opensSession) {
      res.writeHead(204, {
        'set-cookie': `${COOKIE}=${token}; Path=${QUEUE_DASHBOARD_PATH}; HttpOnly; SameSite=Strict; Max-Age=3600`,
        'cache-control': 'no-store',
      });
      res.end();
      return;
    }
    next();
  };
  const verify = async (token: string | undefined) => {
    if (!token) return undefined;
    try {
      return await principals.load(tokens.verify(token, 'access'));
    } catch {
      return undefined;
    }
  };
  app.use(QUEUE_DASHBOARD_PATH, onlyTownshipAdmins, serverAdapter.getRouter());
}

function bearer(header: string | undefined): string | undefined {
  return /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header ?? '')?.[1];
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
