import { Module } from '@nestjs/common';
import { OrganisationModule } from '../organisation/organisation.module';
import { ThemePublicationProcessor } from './theme-publication.processor';
import { ThemeResolver } from './theme.resolver';
import { ThemeRepository } from './theme.repository';
import { ThemeService } from './theme.service';

@Module({
  imports: [OrganisationModule],
  providers: [ThemeService, ThemeRepository, ThemeResolver, ThemePublicationProcessor],
  exports: [ThemeService],
})
export class ThemesModule {}
