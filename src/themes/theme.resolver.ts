import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { optionalUuidArg, uuidArg } from '../common/graphql/uuid.arg';
import { AddThemeInput } from './dto/theme.inputs';
import { PublishedThemeList, Theme, ThemePublicationStatus } from './dto/theme.models';
import { ThemeService } from './theme.service';
import { Month } from '../common/time/shanghai-month';

@Resolver()
export class ThemeResolver {
  constructor(private readonly themes: ThemeService) {}

  @Query(() => [Theme], { description: "A month's draft themes: the township's, plus a branch's own when branchId is given (admins, that branch's managers)." })
  monthThemes(
    @CurrentPrincipal() actor: Principal,
    @Args('townshipId', { type: () => ID }, uuidArg) townshipId: string,
    @Args('month', { description: 'YYYY-MM' }) month: string,
    @Args('branchId', { type: () => ID, nullable: true }, optionalUuidArg) branchId?: string,
  ) {
    return this.themes.monthThemes(actor, townshipId, Month.parse(month), branchId);
  }

  @Query(() => PublishedThemeList, { nullable: true, description: "A branch's published theme list for a month; null until published." })
  publishedThemes(
    @CurrentPrincipal() actor: Principal,
    @Args('branchId', { type: () => ID }, uuidArg) branchId: string,
    @Args('month', { description: 'YYYY-MM' }) month: string,
  ) {
    return this.themes.publishedList(actor, branchId, Month.parse(month));
  }

  @Query(() => ThemePublicationStatus, { description: 'How many branch lists of a month are published (admins).' })
  themePublicationStatus(
    @CurrentPrincipal() actor: Principal,
    @Args('townshipId', { type: () => ID }, uuidArg) townshipId: string,
    @Args('month', { description: 'YYYY-MM' }) month: string,
  ) {
    return this.themes.publicationStatus(actor, townshipId, Month.parse(month));
  }

  @Mutation(() => Theme, { description: 'Adds a theme to a month that is not yet published: a township theme (admins) or a branch-only theme (its managers).' })
  addTheme(@CurrentPrincipal() actor: Principal, @Args('input') input: AddThemeInput) {
    return this.themes.addTheme(actor, input);
  }

  @Mutation(() => Boolean, { description: 'Removes a theme before its list is published.' })
  removeTheme(@CurrentPrincipal() actor: Principal, @Args('id', { type: () => ID }, uuidArg) id: string) {
    return this.themes.removeTheme(actor, id);
  }

  @Mutation(() => ThemePublicationStatus, {
    description: "Publishes every branch's list for the month now (admins), as the monthly job would; returns the status before publication.",
  })
  publishThemes(
    @CurrentPrincipal() actor: Principal,
    @Args('townshipId', { type: () => ID }, uuidArg) townshipId: string,
    @Args('month', { description: 'YYYY-MM' }) month: string,
  ) {
    return this.themes.requestPublication(actor, townshipId, Month.parse(month));
  }
}
