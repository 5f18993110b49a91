import { Controller, Get, Header, Param, UseFilters } from '@nestjs/common';
import { Public } from '../common/public.decorator';
import { PublicPage } from '../rate-limit/graphql-throttler.guard';
import { PublicPageErrorFilter } from '../settlement/public-statement.controller';
import { CERTIFICATE_CSP, certificatePage } from './public-certificate.page';
import { CertificateVerification, ServiceCertificateService } from './service-certificate.service';

/**
 * Anyone holding a certificate's number confirms it, without logging in:
 * GET /public/certificates/:number        a page (text/html)
 * GET /public/certificates/:number/json   the same as JSON
 * The name is masked; nothing else about the volunteer is shown. Limited per client
 * address like the public statements (RATE_LIMIT_PUBLIC_PER_MINUTE).
 */
@Public()
@PublicPage()
@UseFilters(PublicPageErrorFilter)
@Controller('public/certificates')
export class PublicCertificateController {
  constructor(private readonly certificates: ServiceCertificateService) {}

  @Get(':number')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', CERTIFICATE_CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  async page(@Param('number') number: string): Promise<string> {
    return certificatePage(await this.certificates.verification(number));
  }

  @Get(':number/json')
  @Header('X-Content-Type-Options', 'nosniff')
  json(@Param('number') number: string): Promise<CertificateVerification> {
    return this.certificates.verification(number);
  }
}
