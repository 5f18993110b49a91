import { Module } from '@nestjs/common';
import { ThemePublicationProcessor } from './theme-publication.processor';
import { ThemeResolver } from './theme.resolver';
import { ThemeService } from './theme.service';

@Module({
  providers: [ThemeService, ThemeResolver, ThemePublicationProcessor],
  exports: [ThemeService],
})
export class ThemesModule {}
