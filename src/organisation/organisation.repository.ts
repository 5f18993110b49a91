import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

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

export const SELECT_RESIDENT = `
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

/** The organisation's reads (and sign-in's writes of WeChat ids) that other modules need: they ask here instead of naming its tables. */
@Injectable()
export class OrganisationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** One round trip for everything a request may ask about its caller (`me` needs no other). */
  async identity(personId: string): Promise<IdentityRow | undefined> {
    const [row] = await this.dataSource.query(
      `SELECT p.id, p.name, p.mobile, r.id AS "residentId", r.township_id AS "residentTownshipId", t.name AS "townshipName",
              r.branch_id AS "residentBranchId", b.name AS "branchName",
              coalesce((SELECT json_agg(json_build_object('role', ra.role, 'townshipId', ra.township_id, 'branchId', ra.branch_id))
                        FROM role_assignment ra WHERE ra.person_id = p.id), '[]') AS roles
       FROM person p LEFT JOIN resident r ON r.person_id = p.id
       LEFT JOIN township t ON t.id = r.township_id LEFT JOIN branch b ON b.id = r.branch_id
       WHERE p.id = $1`,
      [personId],
    );
    return row;
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
    const names: { id: string; name: string }[] = await m.query(
      `SELECT r.id, p.name FROM resident r JOIN person p ON p.id = r.person_id WHERE r.id = ANY($1::uuid[])`,
      [[...new Set(rows.map((r) => r.residentId))]],
    );
    const nameOf = new Map(names.map((n) => [n.id, n.name]));
    for (const row of rows) row.residentName = nameOf.get(row.residentId) ?? null;
    return rows;
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

  async isServiceTeamOf(m: EntityManager, serviceTeamId: string, branchId: string): Promise<boolean> {
    const rows = await m.query(`SELECT 1 FROM service_team WHERE id = $1 AND branch_id = $2`, [serviceTeamId, branchId]);
    return rows.length > 0;
  }
}
