import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ActivitiesModule } from '../activities/activities.module';
import { OrganisationModule } from '../organisation/organisation.module';
import { PublicCertificateController } from './public-certificate.controller';
import { ServiceCertificate } from './service-certificate.entity';
import { ServiceCertificateRepository } from './service-certificate.repository';
import { ServiceCertificateResolver } from './service-certificate.resolver';
import { ServiceCertificateService } from './service-certificate.service';

/** 志愿服务记录证明: issued from service hours, verified publicly by number. The API's only. */
@Module({
  imports: [TypeOrmModule.forFeature([ServiceCertificate]), ActivitiesModule, OrganisationModule],
  controllers: [PublicCertificateController],
  providers: [ServiceCertificateRepository, ServiceCertificateService, ServiceCertificateResolver],
})
export class CertificatesModule {}
