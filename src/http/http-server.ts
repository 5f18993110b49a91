import { FastifyAdapter } from '@nestjs/platform-fastify';
import { FastifyReply, FastifyRequest, LogController } from 'fastify';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { AppConfig } from '../config/app-config';
import { recordHttpRequest } from '../observability/http-metrics';
import { maskUrl } from '../observability/masking';

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Probes and scrapes every few seconds would drown the useful lines. */
const NOT_LOGGED = /^\/(health|metrics)(\/|\?|$)/;
/** JSON bodies larger than this are refused (413); Express's default, kept. */
const BODY_LIMIT_BYTES = 100 * 1024;

/** Fastify listens on localhost only unless told otherwise; a container must be reachable from outside. */
export const EVERY_INTERFACE = '0.0.0.0';

/** What the request log line says about a GraphQL request (set by graphql-observability.plugin.ts). */
export interface GraphqlLogFields {
  /** `<type> <first root field>`, e.g. `mutation signUpForActivity`. */
  operation: string;
  /** The name the client gave its operation, if any. */
  operationName?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    graphql: GraphqlLogFields | null;
  }
}

/**
 * The HTTP server of the API and of the worker's health/metrics port: Fastify, with
 * - the process's pino logger, and one line per request written when its response is
 *   sent (status, duration, request id, GraphQL operation), except probes and scrapes;
 * - the request id: the client's `x-request-id` if it is 1-64 of [A-Za-z0-9._-], else a
 *   new UUID; echoed in the `x-request-id` response header and bound as `reqId` to every
 *   line written with `request.log`;
 * - the per-request HTTP metrics;
 * - TRUST_PROXY as Fastify's `trustProxy` (hops, loopback/linklocal/uniquelocal, CIDRs).
 * Fastify sends no `x-powered-by`. Static files and response headers for other routes
 * are for the app that mounts them (e.g. `app.register(fastifyStatic, …)` in api.ts).
 */
export function createHttpAdapter(config: Pick<AppConfig, 'TRUST_PROXY'>, logger: Logger): FastifyAdapter {
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: new RequestLog(),
    requestIdHeader: false, // genReqId validates the client's id instead of trusting it as is
    genReqId: requestId,
    // A hop count is still taken at run time (fastify's lib/request.js); 5.12's types omit number.
    trustProxy: trustProxy(config.TRUST_PROXY) as string | undefined,
    bodyLimit: BODY_LIMIT_BYTES,
    // While draining (HttpDrain), requests arriving on connections already open are
    // served, with `connection: close`, instead of answered 503.
    return503OnClosing: false,
  });
  observeRequests(adapter.getInstance() as unknown as FastifyInstance);
  return adapter;
}

/** One line per request, written when its response has been sent; none for probes and scrapes. */
class RequestLog extends LogController {
  constructor() {
    super({ disableRequestLogging: (req: { url?: string }) => NOT_LOGGED.test(req.url ?? '') });
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {} // the request line says 404

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const fields = {
      req: { method: request.method, url: maskUrl(request.url) },
      res: { statusCode: reply.statusCode },
      responseTime: Math.round(reply.elapsedTime * 10) / 10,
      ...request.graphql,
    };
    if (error) request.log.error({ ...fields, err: error }, 'request errored');
    else request.log.info(fields, 'request completed');
  }
}

function observeRequests(fastify: FastifyInstance): void {
  fastify.decorateRequest('graphql', null);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    recordHttpRequest(request.method, request.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

function requestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && CLIENT_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

function trustProxy(setting: string | undefined): number | string | undefined {
  if (!setting) return undefined;
  return /^\d+$/.test(setting) ? Number(setting) : setting;
}
