import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';

/**
 * Prometheus metrics at GET /metrics for every process. The logger and the per-request
 * log line and HTTP metrics are part of the HTTP server itself (src/http/http-server.ts).
 */
@Module({ controllers: [MetricsController] })
export class ObservabilityModule {}
