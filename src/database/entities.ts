import { Activity, ActivitySignup } from '../activities/activity.entity';
import { AuditLog } from '../audit/audit-log.entity';
import { Course, CourseEnrolment } from '../courses/course.entity';
import { Branch } from '../organisation/branch.entity';
import { Person } from '../organisation/person.entity';
import { Resident } from '../organisation/resident.entity';
import { RoleAssignment } from '../organisation/role-assignment.entity';
import { ServiceTeam } from '../organisation/service-team.entity';
import { Township } from '../organisation/township.entity';

/** Every TypeORM entity. The ledger has none: LedgerService owns its tables with plain SQL. */
export const entities = [Township, Branch, ServiceTeam, Person, Resident, RoleAssignment, AuditLog, Activity, ActivitySignup, Course, CourseEnrolment];
