import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
export async function mountQueueDashboard(app: NestFastifyApplication): Promise<void> {
  const queues = app.get(JobQueues);
  const tokens = app.get(TokenService);
  const principals = app.get(PrincipalLoader);
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: queues.all().map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: '文明银行 任务队列' } },
  });

  const opensSession = (request: FastifyRequest) => request.method === 'POST' && request.url === QUEUE_DASHBOARD_PATH + SESSION_PATH;
  const onlyTownshipAdmins = async (request: FastifyRequest, reply: FastifyReply) => {
    // A session is opened by the bearer header only: a cookie cannot renew itself.
    const token = opensSession(request)
      ? bearer(request.headers.authorization)
      : (bearer(request.headers.authorization) ?? cookie(request.headers.cookie, COOKIE));
    const principal = await verify(token);
    if (!principal?.adminOf.length) {
      return reply
        .code(principal ? 403 : 401)
        .type('text/plain; charset=utf-8')
        .send(principal ? '仅镇（总行）管理员可以查看任务队列' : '请先登录：在文明银行应用的“我的”页面打开任务队列');
    }
  };
  const verify = async (token: string | undefined) => {
    if (!token) return undefined;
    try {
      return await principals.load(tokens.verify(token, 'access'));
    } catch {
      return undefined;
    }
  };
  // The gate is a hook of the dashboard's own plugin scope: it runs before every route
  // Bull Board registers under the path, and nowhere else.
  await app.register(
    async (scope: FastifyInstance) => {
      scope.addHook('onRequest', onlyTownshipAdmins);
      // Reached only with an admin's bearer token (the gate): the cookie carries it from now on.
      scope.post(SESSION_PATH, async (request, reply) =>
        reply
          .code(204)
          .header('set-cookie', `${COOKIE}=${bearer(request.headers.authorization)}; Path=${QUEUE_DASHBOARD_PATH}; HttpOnly; SameSite=Strict; Max-Age=3600`)
          .header('cache-control', 'no-store')
          .send(),
      );
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: QUEUE_DASHBOARD_PATH },
  );
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
