import { Args, Context, Float, Mutation, ObjectType, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { FastifyRequest } from 'fastify';
import { hoursOf } from '../activities/dto/service-hours.models';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { Connection, PageArgs } from '../common/pagination/connection';
import { CertificateLine, ServiceCertificate } from './service-certificate.entity';
import { ServiceCertificateService } from './service-certificate.service';

@ObjectType()
export class ServiceCertificateConnection extends Connection(ServiceCertificate) {}

@Resolver(() => ServiceCertificate)
export class ServiceCertificateResolver {
  constructor(private readonly certificates: ServiceCertificateService) {}

  @Mutation(() => ServiceCertificate, { description: "Issues the caller a 志愿服务记录证明 of every completed service so far, free (residents)." })
  requestServiceCertificate(@CurrentPrincipal() actor: Principal) {
    return this.certificates.request(actor);
  }

  @Query(() => ServiceCertificateConnection, { description: "The caller's certificates, newest first (residents)." })
  myServiceCertificates(@CurrentPrincipal() actor: Principal, @Args() page: PageArgs) {
    return this.certificates.mine(actor, page);
  }

  @Query(() => ServiceCertificate, { description: 'A certificate by its number: its resident, their branch managers, the township admins.' })
  serviceCertificate(@CurrentPrincipal() actor: Principal, @Args('number') number: string) {
    return this.certificates.certificate(actor, number);
  }

  @ResolveField(() => [CertificateLine], { description: 'Every activity it lists, oldest first.' })
  lines(@Parent() c: ServiceCertificate): CertificateLine[] {
    return c.records.map((r) => ({ title: r.title, date: r.date, minutes: r.minutes, hours: hoursOf(r.minutes) }));
  }

  @ResolveField(() => Float, { description: 'Total hours, one decimal.' })
  totalHours(@Parent() c: ServiceCertificate): number {
    return hoursOf(c.totalMinutes);
  }

  @ResolveField(() => String, { description: 'The public page anyone can open to confirm it (no login).' })
  verifyUrl(@Parent() c: ServiceCertificate, @Context('req') req?: FastifyRequest): string {
    return this.certificates.verifyUrl(c.number, req?.headers.host);
  }

  @ResolveField(() => String, { description: 'The certificate as a PDF (A4, Chinese font embedded), base64.' })
  async pdfBase64(@Parent() c: ServiceCertificate, @Context('req') req?: FastifyRequest): Promise<string> {
    return (await this.certificates.pdf(c, this.certificates.verifyUrl(c.number, req?.headers.host))).toString('base64');
  }
}
