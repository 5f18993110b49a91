import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** How long in-flight requests get to finish after SIGTERM before their sockets are cut. */
const DRAIN_TIMEOUT_MS = 20_000;
/** How often connections that went idle during the drain are closed. */
const REAP_IDLE_MS = 50;

/**
 * On SIGTERM, before anything else shuts down (this is the root module's destroy hook,
 * which Nest runs first), the HTTP server stops accepting connections and the requests
 * in flight finish: their transactions commit or roll back whole while the database
 * pool, the workers and Apollo are still there. Requests that arrive on a connection
 * already open are still served, with `connection: close`; connections are closed as
 * soon as they are idle. After DRAIN_TIMEOUT_MS the rest are cut. Then Nest stops the
 * workers and closes the pool.
 */
@Injectable()
export class HttpDrain implements OnModuleDestroy {
  private readonly logger = new Logger(HttpDrain.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async onModuleDestroy(): Promise<void> {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server?.listening) return;
    this.logger.log('draining HTTP requests');
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => res.setHeader('connection', 'close'));
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const reaper = setInterval(() => server.closeIdleConnections(), REAP_IDLE_MS);
    const timer = setTimeout(() => {
      this.logger.warn(`requests still running after ${DRAIN_TIMEOUT_MS} ms: closing their connections`);
      server.closeAllConnections();
    }, DRAIN_TIMEOUT_MS);
    await closed;
    clearInterval(reaper);
    clearTimeout(timer);
  }
}
