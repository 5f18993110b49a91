import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Branch } from './branch.entity';
import { Staff } from './dto/organisation.models';
import { Role } from './role-assignment.entity';
import { ServiceTeam } from './service-team.entity';
import { Township } from './township.entity';

/** Who a person is and which roles they hold, as one row (what a request's principal is made from). */
export interface IdentityRow {
  id: string;
  name: string;
  mobile: string;
  residentId: string | null;
  residentTownshipId: string | null;
  townshipName: string | null;
  residentBranchId: string | null;
  branchName: string | null;
  roles: { role: string; townshipId: string; branchId: string | null }[];
}

/** A resident with their person's name and mobile, before the ledger adds the account and balance. */
export interface ResidentRow {
  id: string;
  personId: string;
  branchId: string;
  name: string;
  mobile: string;
  registeredAt: Date;
}

const SELECT_RESIDENT = `
  SELECT r.id, r.person_id AS "personId", r.branch_id AS "branchId", p.name, p.mobile, r.created_at AS "registeredAt"
  FROM resident r
  JOIN person p ON p.id = r.person_id`;

/** A person record (one per township) with its township's name, as sign-in lists them. */
export interface PersonInTownship {
  id: string;
  townshipId: string;
  townshipName: string;
}

/** Which person records sign-in looks for: by mobile, or by a WeChat openid; optionally in one township. */
export type PersonLookup = ({ mobile: string } | { wechatOpenid: string } | { wechatWebOpenid: string } | { mobile: string; wechatOpenid: string }) & {
  townshipId?: string;
};

/**
 * The organisation's tables. Its service keeps the rules and transactions; other modules
 * (sign-in's WeChat bindings, names for pages, scopes) ask here instead of naming its tables.
 */
@Injectable()
export class OrganisationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * One round trip for everything requests may ask about their callers (`me` needs no
   * other), for any number of persons; unknown ids have no row.
   */
  identities(personIds: readonly string[]): Promise<IdentityRow[]> {
    return this.dataSource.query(
      `SELECT p.id, p.name, p.mobile, r.id AS "residentId", r.township_id AS "residentTownshipId", t.name AS "townshipName",
              r.branch_id AS "residentBranchId", b.name AS "branchName",
              coalesce((SELECT json_agg(json_build_object('role', ra.role, 'townshipId', ra.township_id, 'branchId', ra.branch_id))
                        FROM role_assignment ra WHERE ra.person_id = p.id), '[]') AS roles
       FROM person p LEFT JOIN resident r ON r.person_id = p.id
       LEFT JOIN township t ON t.id = r.township_id LEFT JOIN branch b ON b.id = r.branch_id
       WHERE p.id = ANY($1::uuid[])`,
      [personIds],
    );
  }

  /** The township of a branch; undefined for an unknown branch. */
  async townshipOfBranch(m: EntityManager, branchId: string): Promise<string | undefined> {
    const [row] = await m.query(`SELECT township_id AS "townshipId" FROM branch WHERE id = $1`, [branchId]);
    return row?.townshipId;
  }

  /** Person records matching the lookup, by township name (then id). */
  async persons(lookup: PersonLookup): Promise<PersonInTownship[]> {
    const by = lookup as { mobile?: string; wechatOpenid?: string; wechatWebOpenid?: string; townshipId?: string };
    return this.dataSource.query(
      `SELECT p.id, p.township_id AS "townshipId", t.name AS "townshipName" FROM person p JOIN township t ON t.id = p.township_id
       WHERE ($1::text IS NULL OR p.mobile = $1) AND ($2::text IS NULL OR p.wechat_openid = $2)
         AND ($3::text IS NULL OR p.wechat_web_openid = $3) AND ($4::uuid IS NULL OR p.township_id = $4)
       ORDER BY t.name, t.id`,
      [by.mobile ?? null, by.wechatOpenid ?? null, by.wechatWebOpenid ?? null, by.townshipId ?? null],
    );
  }

  /**
   * Binds a mini-program openid to every record of the mobile not yet bound, except in a
   * township where the openid already has a record. A concurrent binding of the same
   * openid in the same township raises the unique violation (23505) to the caller.
   */
  async bindWechatOpenid(mobile: string, openid: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE person p SET wechat_openid = $2 WHERE p.mobile = $1 AND p.wechat_openid IS NULL
         AND NOT EXISTS (SELECT 1 FROM person q WHERE q.township_id = p.township_id AND q.wechat_openid = $2)`,
      [mobile, openid],
    );
  }

  /** Moves a person's web-app openid to a new WeChat user (23505 if that user has another record of the township). */
  async bindWechatWebOpenid(m: EntityManager, personId: string, openid: string): Promise<void> {
    await m.query(`UPDATE person SET wechat_web_openid = $2 WHERE id = $1`, [personId, openid]);
  }

  /** The ids of every person record with this mobile (one per township). */
  async personIdsByMobile(m: EntityManager, mobile: string): Promise<string[]> {
    const rows: { id: string }[] = await m.query(`SELECT id FROM person WHERE mobile = $1`, [mobile]);
    return rows.map((r) => r.id);
  }

  /** Each resident's branch, keyed by resident id (unknown ids are absent). */
  async branchesOfResidents(m: EntityManager, residentIds: string[]): Promise<Map<string, string>> {
    if (!residentIds.length) return new Map();
    const rows: { id: string; branchId: string }[] = await m.query(`SELECT id, branch_id AS "branchId" FROM resident WHERE id = ANY($1::uuid[])`, [
      residentIds,
    ]);
    return new Map(rows.map((r) => [r.id, r.branchId]));
  }

  /** Every township, or the one with this code, by code. */
  townships(m: EntityManager, code: string | null): Promise<{ id: string; code: string; name: string }[]> {
    return m.query(`SELECT id, code, name FROM township WHERE $1::text IS NULL OR code = $1 ORDER BY code`, [code]);
  }

  /** A branch's name with its township's id and name; undefined for an unknown branch. */
  async branchWithTownship(m: EntityManager, branchId: string): Promise<{ branch: string; township: string; townshipId: string } | undefined> {
    const [row] = await m.query(
      `SELECT b.name AS branch, t.name AS township, b.township_id AS "townshipId" FROM branch b JOIN township t ON t.id = b.township_id WHERE b.id = $1`,
      [branchId],
    );
    return row;
  }

  /** Each resident's name, keyed by resident id (unknown ids are absent). */
  async residentNames(m: EntityManager, residentIds: string[]): Promise<Map<string, string>> {
    if (!residentIds.length) return new Map();
    const rows: { id: string; name: string }[] = await m.query(
      `SELECT r.id, p.name FROM resident r JOIN person p ON p.id = r.person_id WHERE r.id = ANY($1::uuid[])`,
      [residentIds],
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** A resident's person and scope, for issuing a binding code; undefined if unknown. */
  async residentScope(m: EntityManager, residentId: string): Promise<{ personId: string; townshipId: string; branchId: string } | undefined> {
    const [row] = await m.query(`SELECT person_id AS "personId", township_id AS "townshipId", branch_id AS "branchId" FROM resident WHERE id = $1`, [
      residentId,
    ]);
    return row;
  }

  /** A resident's name with their branch and township, as a certificate names them. */
  async residentCard(
    m: EntityManager,
    residentId: string,
  ): Promise<{ name: string; townshipId: string; townshipName: string; branchId: string; branchName: string } | undefined> {
    const [row] = await m.query(
      `SELECT p.name, r.township_id AS "townshipId", t.name AS "townshipName", r.branch_id AS "branchId", b.name AS "branchName"
       FROM resident r JOIN person p ON p.id = r.person_id JOIN township t ON t.id = r.township_id JOIN branch b ON b.id = r.branch_id
       WHERE r.id = $1`,
      [residentId],
    );
    return row;
  }

  async townshipExists(m: EntityManager, townshipId: string): Promise<boolean> {
    return (await m.query(`SELECT 1 FROM township WHERE id = $1`, [townshipId])).length > 0;
  }

  async branchCount(m: EntityManager, townshipId: string): Promise<number> {
    const [{ branches }] = await m.query(`SELECT count(*)::int AS branches FROM branch WHERE township_id = $1`, [townshipId]);
    return branches;
  }

  /** A township's branches by name (then id). */
  async branchesOf(m: EntityManager, townshipId: string): Promise<{ id: string; name: string }[]> {
    return m.query(`SELECT id, name FROM branch WHERE township_id = $1 ORDER BY name, id`, [townshipId]);
  }

  /** Every township with how many branches it has, by township id. */
  async townshipsWithBranchCounts(m: EntityManager): Promise<{ townshipId: string; branches: number }[]> {
    return m.query(
      `SELECT t.id AS "townshipId", (SELECT count(*) FROM branch b WHERE b.township_id = t.id)::int AS branches FROM township t ORDER BY t.id`,
    );
  }

  /** Sets each row's `residentName` from its `residentId` (sign-ups and enrolments shown to managers). */
  async attachResidentNames<T extends { residentId: string; residentName: string | null }>(m: EntityManager, rows: T[]): Promise<T[]> {
    if (!rows.length) return rows;
    const nameOf = await this.residentNames(m, [...new Set(rows.map((r) => r.residentId))]);
    for (const row of rows) row.residentName = nameOf.get(row.residentId) ?? null;
    return rows;
  }

  /** The names of these persons, by id (who reported a good deed, who is on a scoring group). */
  async personNames(m: EntityManager, personIds: readonly string[]): Promise<Map<string, string>> {
    if (!personIds.length) return new Map();
    const rows: { id: string; name: string }[] = await m.query(`SELECT id, name FROM person WHERE id = ANY($1::uuid[])`, [[...new Set(personIds)]]);
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** The township admin with this mobile in the township with this code (the CLI's login link), if any. */
  async townshipAdminByCode(townshipCode: string, mobile: string): Promise<{ id: string; name: string; townshipId: string } | undefined> {
    const [admin] = await this.dataSource.query(
      `SELECT p.id, p.name, p.township_id AS "townshipId" FROM person p JOIN township t ON t.id = p.township_id
       WHERE t.code = $1 AND p.mobile = $2
         AND EXISTS (SELECT 1 FROM role_assignment r WHERE r.person_id = p.id AND r.role = 'TOWNSHIP_ADMIN' AND r.township_id = p.township_id)`,
      [townshipCode, mobile],
    );
    return admin;
  }

  /** Branch names for `ids`, in their order: one statement for a whole page of activities or courses. */
  async branchNames(ids: readonly string[]): Promise<string[]> {
    const rows: { id: string; name: string }[] = await this.dataSource.query(`SELECT id, name FROM branch WHERE id = ANY($1::uuid[])`, [ids]);
    const nameOf = new Map(rows.map((r) => [r.id, r.name]));
    return ids.map((id) => nameOf.get(id)!);
  }

  /**
   * The persons of a township a notification's audience names, each with whether they bound
   * the mini-program's WeChat (one statement; the notifications module asks here).
   */
  async notificationRecipients(
    m: EntityManager,
    townshipId: string,
    audience: { residents?: string[]; persons?: string[]; branchResidents?: string; townshipAdmins?: boolean },
  ): Promise<{ personId: string; bound: boolean }[]> {
    return m.query(
      `SELECT p.id AS "personId", p.wechat_openid IS NOT NULL AS bound FROM person p
       WHERE p.township_id = $1 AND p.id IN (
         SELECT unnest($2::uuid[])
         UNION ALL SELECT r.person_id FROM resident r WHERE r.id = ANY($3::uuid[])
         UNION ALL SELECT r.person_id FROM resident r WHERE r.branch_id = $4
         UNION ALL SELECT ra.person_id FROM role_assignment ra WHERE $5 AND ra.role = 'TOWNSHIP_ADMIN' AND ra.township_id = $1)
       ORDER BY p.id`,
      [townshipId, audience.persons ?? [], audience.residents ?? [], audience.branchResidents ?? null, audience.townshipAdmins ?? false],
    );
  }

  /** The mini-program openid of each of these persons that bound WeChat. */
  async wechatOpenids(m: EntityManager, personIds: readonly string[]): Promise<Map<string, string>> {
    if (!personIds.length) return new Map();
    const rows: { id: string; openid: string }[] = await m.query(
      `SELECT id, wechat_openid AS openid FROM person WHERE id = ANY($1::uuid[]) AND wechat_openid IS NOT NULL`,
      [personIds],
    );
    return new Map(rows.map((r) => [r.id, r.openid]));
  }

  async isServiceTeamOf(m: EntityManager, serviceTeamId: string, branchId: string): Promise<boolean> {
    const rows = await m.query(`SELECT 1 FROM service_team WHERE id = $1 AND branch_id = $2`, [serviceTeamId, branchId]);
    return rows.length > 0;
  }

  // ---- townships, branches, service teams -----------------------------------------

  /** The township with this code, created if new (an existing one keeps its name). */
  async upsertTownship(m: EntityManager, code: string, name: string): Promise<string> {
    await m.query(`INSERT INTO township (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING`, [code, name]);
    const [{ id }] = await m.query(`SELECT id FROM township WHERE code = $1`, [code]);
    return id;
  }

  findTownship(m: EntityManager, id: string): Promise<Township | null> {
    return m.findOneBy(Township, { id });
  }

  findBranch(m: EntityManager, id: string): Promise<Branch | null> {
    return m.findOneBy(Branch, { id });
  }

  /** A page of a township's branches by name, then id, after the keyset `after`. */
  branchPage(m: EntityManager, townshipId: string, after: string[] | undefined, limit: number): Promise<Branch[]> {
    return m
      .createQueryBuilder(Branch, 'b')
      .where('b.township_id = :townshipId', { townshipId })
      .andWhere(after ? '(b.name, b.id) > (:name, :id)' : 'true', after ? { name: after[0], id: after[1] } : {})
      .orderBy('b.name')
      .addOrderBy('b.id')
      .limit(limit)
      .getMany();
  }

  /** The id of the township's branch with this name. */
  async branchIdByName(m: EntityManager, townshipId: string, name: string): Promise<string | undefined> {
    const [found] = await m.query(`SELECT id FROM branch WHERE township_id = $1 AND name = $2`, [townshipId, name]);
    return found?.id;
  }

  /** A new branch's id; undefined if the township already has a branch of that name. */
  async insertBranch(m: EntityManager, townshipId: string, name: string, kind: string): Promise<string | undefined> {
    const [row] = await m.query(
      `INSERT INTO branch (township_id, name, kind) VALUES ($1, $2, $3) ON CONFLICT (township_id, name) DO NOTHING RETURNING id`,
      [townshipId, name, kind],
    );
    return row?.id;
  }

  serviceTeamsOf(m: EntityManager, branchId: string): Promise<ServiceTeam[]> {
    return m.find(ServiceTeam, { where: { branchId }, order: { name: 'ASC' } });
  }

  findServiceTeam(m: EntityManager, id: string): Promise<ServiceTeam | null> {
    return m.findOneBy(ServiceTeam, { id });
  }

  /** A new service team's id; undefined if the branch already has a team of that name. */
  async insertServiceTeam(m: EntityManager, townshipId: string, branchId: string, name: string): Promise<string | undefined> {
    const [row] = await m.query(
      `INSERT INTO service_team (township_id, branch_id, name) VALUES ($1, $2, $3) ON CONFLICT (branch_id, name) DO NOTHING RETURNING id`,
      [townshipId, branchId, name],
    );
    return row?.id;
  }

  // ---- people, residents, roles ---------------------------------------------------

  /** The township's person with this mobile, created if new; an existing person keeps their recorded name. */
  async upsertPerson(m: EntityManager, townshipId: string, person: { name: string; mobile: string }): Promise<string> {
    const [created] = await m.query(
      `INSERT INTO person (township_id, name, mobile) VALUES ($1, $2, $3)
       ON CONFLICT ON CONSTRAINT person_township_mobile_key DO NOTHING RETURNING id`,
      [townshipId, person.name, person.mobile],
    );
    if (created) return created.id;
    const [existing] = await m.query(`SELECT id FROM person WHERE township_id = $1 AND mobile = $2`, [townshipId, person.mobile]);
    return existing.id;
  }

  /** A page of a branch's residents by name, then id, optionally those whose name contains or mobile starts with `text`. */
  residentsOfBranch(m: EntityManager, branchId: string, text: string | null, after: string[] | undefined, limit: number): Promise<ResidentRow[]> {
    return m.query(
      `${SELECT_RESIDENT}
       WHERE r.branch_id = $1
         AND ($2::text IS NULL OR strpos(p.name, $2) > 0 OR p.mobile LIKE $2 || '%')
         AND ($3::text IS NULL OR (p.name, r.id) > ($3::text, $4::uuid))
       ORDER BY p.name, r.id
       LIMIT $5`,
      [branchId, text, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
  }

  /** The id of the new resident of this person; undefined if the person already is one. */
  async insertResident(m: EntityManager, personId: string, scope: { townshipId: string; branchId: string }, registeredBy: string): Promise<string | undefined> {
    const [inserted] = await m.query(
      `INSERT INTO resident (person_id, township_id, branch_id, registered_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (person_id) DO NOTHING RETURNING id`,
      [personId, scope.townshipId, scope.branchId, registeredBy],
    );
    return inserted?.id;
  }

  async residentOfPerson(m: EntityManager, personId: string): Promise<ResidentRow | undefined> {
    const [row] = await m.query(`${SELECT_RESIDENT} WHERE r.person_id = $1`, [personId]);
    return row;
  }

  /** Who holds a role on the branch, in the order they were appointed. */
  staffOfBranch(m: EntityManager, branchId: string): Promise<Staff[]> {
    return m.query(
      `SELECT p.id AS "personId", p.name, p.mobile, ra.role FROM role_assignment ra JOIN person p ON p.id = ra.person_id
       WHERE ra.branch_id = $1 ORDER BY ra.created_at`,
      [branchId],
    );
  }

  /** A person's name and mobile (undefined if unknown). */
  async personContact(m: EntityManager, personId: string): Promise<{ personId: string; name: string; mobile: string } | undefined> {
    const [row] = await m.query(`SELECT id AS "personId", name, mobile FROM person WHERE id = $1`, [personId]);
    return row;
  }

  /** True if the role was granted now, false if the person already held it. */
  async insertRoleAssignment(
    m: EntityManager,
    grant: { personId: string; role: Role; townshipId: string; branchId: string | null; grantedBy: string | null },
  ): Promise<boolean> {
    const [row] = await m.query(
      `INSERT INTO role_assignment (person_id, role, township_id, branch_id, granted_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (person_id, role, township_id, branch_id) DO NOTHING RETURNING id`,
      [grant.personId, grant.role, grant.townshipId, grant.branchId, grant.grantedBy],
    );
    return !!row;
  }

  /** How many assignments were removed (0 or 1). */
  async deleteRoleAssignment(m: EntityManager, personId: string, role: Role, townshipId: string, branchId: string | null): Promise<number> {
    const [, removed] = await m.query(
      `DELETE FROM role_assignment WHERE person_id = $1 AND role = $2 AND township_id = $3 AND branch_id IS NOT DISTINCT FROM $4`,
      [personId, role, townshipId, branchId],
    );
    return removed;
  }

  /** Each resident's branch, keyed by resident id (residents of other townships are absent). */
  async residentBranches(m: EntityManager, townshipId: string, residentIds: string[]): Promise<Map<string, string>> {
    if (!residentIds.length) return new Map();
    const rows: { id: string; branchId: string }[] = await m.query(
      `SELECT id, branch_id AS "branchId" FROM resident WHERE township_id = $1 AND id = ANY($2::uuid[])`,
      [townshipId, residentIds],
    );
    return new Map(rows.map((r) => [r.id, r.branchId]));
  }

  /** A branch's township and name; undefined if there is no such branch. */
  async branchInfo(m: EntityManager, branchId: string): Promise<{ townshipId: string; name: string } | undefined> {
    const [row] = await m.query(`SELECT township_id AS "townshipId", name FROM branch WHERE id = $1`, [branchId]);
    return row;
  }
}
