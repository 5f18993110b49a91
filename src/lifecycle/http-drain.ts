import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';

/** How long in-flight requests get to finish after SIGTERM before their sockets are cut. */
const DRAIN_TIMEOUT_MS = 20_000;

/**
 * On SIGTERM Nest would destroy the database pool before closing the HTTP server, so
 * requests still running would lose their connection mid-way. This closes the server
 * first: no new requests are accepted, idle keep-alive sockets are closed, and the
 * requests in flight finish (their transactions commit or roll back whole) before the
 * pool and the workers go away.
 */
@Injectable()
export class HttpDrain implements BeforeApplicationShutdown {
  private readonly logger = new Logger(HttpDrain.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server?.listening) return;
    this.logger.log(`${signal ?? 'shutdown'}: draining HTTP requests`);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => {
      this.logger.warn(`requests still running after ${DRAIN_TIMEOUT_MS} ms: closing their connections`);
      server.closeAllConnections();
    }, DRAIN_TIMEOUT_MS);
    await closed;
    clearTimeout(timer);
  }
}
