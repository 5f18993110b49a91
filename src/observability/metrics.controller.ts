import { Controller, Get, Headers, Res, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../common/public.decorator';
import { AppConfig } from '../config/app-config';
import { metricsRegistry } from './metrics';

/**
 * Prometheus scrape endpoint: counts and latencies only, never personal data. Open
 * unless METRICS_TOKEN is set, then it wants that bearer token (set it whenever the
 * API port is reachable from outside).
 */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly config: AppConfig) {}

  @Public()
  @Get()
  metrics(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const token = this.config.METRICS_TOKEN;
    if (token && !sameSecret(authorization ?? '', `Bearer ${token}`)) throw new UnauthorizedException();
    // Only on success: a refusal is Nest's JSON error.
    reply.type(metricsRegistry.contentType);
    return metricsRegistry.metrics();
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
