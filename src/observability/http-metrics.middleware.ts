import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpRequestDuration, httpRequests } from './metrics';

/** Routes we serve; anything else is counted as "other" to keep label cardinality bounded. */
const KNOWN_ROUTES = /^\/(graphql|health\/live|health\/ready|metrics|admin\/queues)/;

@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  use(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: () => void): void {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const match = KNOWN_ROUTES.exec(req.originalUrl ?? req.url ?? '');
      const route = match ? `/${match[1]}` : 'other';
      httpRequests.inc({ method: req.method ?? 'GET', route, status: String(res.statusCode) });
      httpRequestDuration.observe({ method: req.method ?? 'GET', route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  }
}
