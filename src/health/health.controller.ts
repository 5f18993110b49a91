import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/public.decorator';
import { QueueBackendHealth } from './queue-backend.health';

/**
 * Liveness says the process answers (restart it if not); readiness says it can do its
 * work now (send it traffic): PostgreSQL and the queue backend both answer.
 * Both answer 503 with the failing check when down (terminus' format).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly queue: QueueBackendHealth,
  ) {}

  @Public()
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Public()
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.database.pingCheck('database', { timeout: 1000 }), () => this.queue.check('queue')]);
  }
}
