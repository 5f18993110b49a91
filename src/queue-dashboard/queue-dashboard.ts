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

/**
 * Bull Board at /admin/queues, for township admins only, read-only: it shows every
 * township's jobs (their data is township ids and months, no personal data), so no one
 * may retry or delete from it; settlement is re-run through the API instead.
 *
 * A browser cannot send a bearer header for page loads: open
 * `/admin/queues?token=<access token>` once; the token moves into an HttpOnly cookie
 * scoped to the dashboard's path. `Authorization: Bearer` works as well.
 */
export async function mountQueueDashboard(app: NestFastifyApplication): Promise<void> {
  const queues = app.get(JobQueues);
  const tokens = app.get(TokenService);
  const principals = app.get(PrincipalLoader);
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: [queues.themes, queues.settlement].map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: '文明银行 任务队列' } },
  });

  const onlyTownshipAdmins = async (request: FastifyRequest, reply: FastifyReply) => {
    const url = new URL(request.url, 'http://localhost');
    const fromQuery = url.searchParams.get('token');
    const token = fromQuery ?? bearer(request.headers.authorization) ?? cookie(request.headers.cookie, COOKIE);
    const principal = await verify(token);
    if (!principal?.adminOf.length) {
      return reply
        .code(principal ? 403 : 401)
        .type('text/plain; charset=utf-8')
        .send(principal ? '仅镇（总行）管理员可以查看任务队列' : '请先登录：在地址后加上 ?token=<登录凭证>');
    }
    if (fromQuery) {
      url.searchParams.delete('token');
      return reply
        .code(303)
        .header('set-cookie', `${COOKIE}=${token}; Path=${QUEUE_DASHBOARD_PATH}; HttpOnly; SameSite=Strict; Max-Age=3600`)
        .header('location', `${url.pathname}${url.search}`)
        .send();
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
