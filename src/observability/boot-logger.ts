import { ConsoleLogger, Logger } from '@nestjs/common';

/**
 * Until the application's pino logger takes over, lines (embedded PostgreSQL, migrations,
 * configuration errors) are JSON as well, so a log collector reads every line the same way.
 */
export function useJsonBootLogger(): void {
  Logger.overrideLogger(new ConsoleLogger({ json: true }));
}
