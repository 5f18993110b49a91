import { ArgumentsHost, Catch, Controller, ExceptionFilter, Get, Header, Headers, HttpStatus, Param, UseFilters } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Public } from '../common/public.decorator';
import { DomainError } from '../common/errors/domain.error';
import { ErrorCode } from '../common/errors/error-code';
import { AppConfig } from '../config/app-config';
import { PublicPage } from '../rate-limit/graphql-throttler.guard';
import { STATEMENT_CSP, STATEMENT_CSS, statementPage } from './public-statement.page';
import { PublicStatement, PublicStatementService } from './public-statement.service';

const STATUS: Partial<Record<ErrorCode, number>> = {
  NOT_FOUND: HttpStatus.NOT_FOUND,
  MONTH_NOT_SETTLED: HttpStatus.NOT_FOUND,
  CERTIFICATE_NOT_FOUND: HttpStatus.NOT_FOUND,
  BAD_USER_INPUT: HttpStatus.BAD_REQUEST,
  RATE_LIMITED: HttpStatus.TOO_MANY_REQUESTS,
};

/** Errors of the public pages as `{ code, message }` with an HTTP status, through whichever HTTP adapter runs. */
@Catch(DomainError)
export class PublicPageErrorFilter implements ExceptionFilter {
  constructor(private readonly adapter: HttpAdapterHost) {}

  catch(error: DomainError, host: ArgumentsHost) {
    const status = STATUS[error.code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
    const reply = host.switchToHttp().getResponse();
    // The page's route has already set text/html (Nest sets @Header before the handler runs).
    this.adapter.httpAdapter.setHeader(reply, 'Content-Type', 'application/json; charset=utf-8');
    this.adapter.httpAdapter.reply(reply, { code: error.code, message: error.message }, status);
  }
}

/**
 * A branch's statement of a settled month, for anyone, without logging in (三务公开):
 * GET /public/statements/:branchId/:month          printable page (text/html)
 * GET /public/statements/:branchId/:month/json     the same as JSON
 * GET /public/statement.css                        the page's stylesheet
 * Limited per client address (RATE_LIMIT_PUBLIC_PER_MINUTE). What is published, and why
 * it is safe to: see PublicStatement and the README.
 */
@Public()
@PublicPage()
@UseFilters(PublicPageErrorFilter)
@Controller('public')
export class PublicStatementController {
  constructor(
    private readonly statements: PublicStatementService,
    private readonly config: AppConfig,
  ) {}

  @Get('statements/:branchId/:month')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', STATEMENT_CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  async page(@Param('branchId') branchId: string, @Param('month') month: string, @Headers('host') host?: string): Promise<string> {
    const statement = await this.statements.statement(branchId, month);
    return statementPage(statement, this.pageUrl(statement, host));
  }

  @Get('statements/:branchId/:month/json')
  @Header('X-Content-Type-Options', 'nosniff')
  async json(
    @Param('branchId') branchId: string,
    @Param('month') month: string,
    @Headers('host') host?: string,
  ): Promise<PublicStatement & { url: string }> {
    const statement = await this.statements.statement(branchId, month);
    return { ...statement, url: this.pageUrl(statement, host) };
  }

  @Get('statement.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  stylesheet(): string {
    return STATEMENT_CSS;
  }

  /** Where the printed QR code points: PUBLIC_BASE_URL, else the address this request came to. */
  private pageUrl(statement: PublicStatement, host: string | undefined): string {
    const base = this.config.PUBLIC_BASE_URL ?? `http://${host && /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host) ? host : 'localhost'}`;
    return `${base.replace(/\/+$/, '')}/public/statements/${statement.branchId}/${statement.month}`;
  }
}
