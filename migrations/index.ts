import { Foundation1763800000000 } from './1763800000000-foundation';
import { ActivitiesCourses1763800100000 } from './1763800100000-activities-courses';
import { ThemesSettlement1763800200000 } from './1763800200000-themes-settlement';
import { Hardening1764500000000 } from './1764500000000-hardening';
import { TownshipPersons1764500000001 } from './1764500000001-township-persons';
import { LedgerSeal1764600000000 } from './1764600000000-ledger-seal';
import { WebLogin1764700000000 } from './1764700000000-web-login';
import { LoginTicket1764800000000 } from './1764800000000-login-ticket';
import { LedgerPost1764900000000 } from './1764900000000-ledger-post';
import { PrincipalChanges1765200000000 } from './1765200000000-principal-changes';
import { Notifications1765600000000 } from './1765600000000-notifications';
import { Households1765700000000 } from './1765700000000-households';
import { Honours1765800000000 } from './1765800000000-honours';
import { PostingAccountCovering1765800000001 } from './1765800000001-posting-account-covering';
import { PointsShop1765900000000 } from './1765900000000-points-shop';
import { GoodDeeds1766000000000 } from './1766000000000-good-deeds';
import { HoursExpiry1766100000000 } from './1766100000000-hours-expiry';
import { StarHours1766200000000 } from './1766200000000-star-hours';
import { ExpiryLine1766200000001 } from './1766200000001-expiry-line';
import { SignupCall1766200000200 } from './1766200000200-signup-call';
import { LedgerPostCpu1766200000300 } from './1766200000300-ledger-post-cpu';
import { SnapshotMinted1766200000400 } from './1766200000400-snapshot-minted';
import { SignupCallOwner1766200000500 } from './1766200000500-signup-call-owner';
import { LedgerPostFresh1766200000800 } from './1766200000800-ledger-post-fresh';
import { SignupBatch1766200000900 } from './1766200000900-signup-batch';

/** Every migration, oldest first. Listed explicitly so the same list runs from ts (tests) and js (dist). */
export const migrations = [
  Foundation1763800000000,
  ActivitiesCourses1763800100000,
  ThemesSettlement1763800200000,
  Hardening1764500000000,
  TownshipPersons1764500000001,
  LedgerSeal1764600000000,
  WebLogin1764700000000,
  LoginTicket1764800000000,
  LedgerPost1764900000000,
  PrincipalChanges1765200000000,
  Notifications1765600000000,
  Households1765700000000,
  Honours1765800000000,
  PostingAccountCovering1765800000001,
  PointsShop1765900000000,
  GoodDeeds1766000000000,
  HoursExpiry1766100000000,
  StarHours1766200000000,
  ExpiryLine1766200000001,
  SignupCall1766200000200,
  LedgerPostCpu1766200000300,
  SnapshotMinted1766200000400,
  SignupCallOwner1766200000500,
  LedgerPostFresh1766200000800,
  SignupBatch1766200000900,
];
