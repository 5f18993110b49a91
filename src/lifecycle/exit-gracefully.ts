import { LoggerService } from '@nestjs/common';

/**
 * On SIGTERM or SIGINT, runs `close` once and exits 0 (1 if closing failed). Nest's own
 * shutdown hooks re-raise the signal after closing, so a clean stop and a kill would
 * look alike from outside; this makes a complete, graceful stop visible as exit code 0.
 */
export function exitGracefullyOn(logger: LoggerService, close: () => Promise<void>): void {
  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      logger.log(`${signal}: finishing work in flight`);
      close().then(
        () => process.exit(0),
        (error) => {
          logger.error(`shutdown failed: ${error instanceof Error ? error.stack : String(error)}`);
          process.exit(1);
        },
      );
    });
  }
}
