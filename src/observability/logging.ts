import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Level, Logger } from 'pino';
import { AppConfig } from '../config/app-config';
import { maskSensitive } from './masking';

/**
 * The process's one pino logger: JSON, one line per event, everything masked by
 * maskSensitive first. Fastify serves HTTP with it (each request's `request.log` is a
 * child carrying `reqId`, see http-server.ts) and Nest's own lines go through it too
 * (NestPinoLogger), so every line has the same shape.
 */
export function createLogger(config: Pick<AppConfig, 'LOG_LEVEL'>, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.LOG_LEVEL,
    base: { service: 'civilization-bank' },
    messageKey: 'msg',
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => maskSensitive(a)) as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Nest's Logger (`new Logger('Context').warn(…)`, boot and shutdown lines) on top of the
 * pino logger, with the context as a field. Lines logged this way carry no request id:
 * a line that belongs to a request is written with that request's `request.log`
 * (for GraphQL: `contextValue.req.log`, see graphql-observability.plugin.ts).
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]) {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]) {
    this.write('fatal', message, params);
  }

  /** Nest passes the context last, and for errors the stack (or undefined) before it. */
  private write(level: Level, message: unknown, params: unknown[]) {
    if (!this.logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    if (params.length && typeof params[params.length - 1] === 'string') fields.context = params.pop();
    if (level === 'error' && typeof params[0] === 'string') fields.stack = params[0];
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }
}
