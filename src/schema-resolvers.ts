import { ActivityResolver, ActivitySignupResolver } from './activities/activity.resolver';
import { AuthResolver } from './auth/auth.resolver';
import { ServiceCertificateResolver } from './certificates/service-certificate.resolver';
import { CourseEnrolmentResolver, CourseResolver } from './courses/course.resolver';
import { HonoursResolver } from './honours/honours.resolver';
import { HouseholdResolver } from './households/household.resolver';
import { DeedResolver } from './deeds/deed.resolver';
import { LedgerResolver } from './ledger/ledger.resolver';
import { MeResolver, PassbookMonthResolver } from './me/me.resolver';
import { MeNotificationsResolver, NotificationResolver } from './notifications/notification.resolver';
import { OrganisationResolver } from './organisation/organisation.resolver';
import { TownshipPolicyResolver } from './policy/township-policy.resolver';
import { SettlementResolver } from './settlement/settlement.resolver';
import { ShopResolver } from './shop/shop.resolver';
import { ThemeResolver } from './themes/theme.resolver';

/**
 * Every resolver, for printing schema.gql without starting the service (the running
 * app finds them in its feature modules' providers). The schema test compares the
 * running app's schema with the file, so a resolver missing here shows up there.
 */
export const resolvers: Function[] = [
  AuthResolver,
  OrganisationResolver,
  LedgerResolver,
  MeResolver,
  PassbookMonthResolver,
  ActivityResolver,
  ActivitySignupResolver,
  CourseResolver,
  CourseEnrolmentResolver,
  ThemeResolver,
  SettlementResolver,
  NotificationResolver,
  MeNotificationsResolver,
  HonoursResolver,
  HouseholdResolver,
  ShopResolver,
  DeedResolver,
  TownshipPolicyResolver,
  ServiceCertificateResolver,
];
