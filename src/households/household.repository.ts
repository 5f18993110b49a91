import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface HouseholdRow {
  id: string;
  townshipId: string;
  branchId: string;
  headResidentId: string;
  createdAt: Date;
}

export interface MemberRow {
  householdId: string;
  residentId: string;
  joinedAt: Date;
}

export interface DependentRow {
  id: string;
  householdId: string;
  townshipId: string;
  name: string;
  birthYear: number;
  createdAt: Date;
}

/** Who the caller may act for, as the database found it (see `link`). */
export interface HouseholdLink {
  householdId: string;
  townshipId: string;
  /** Set when acting for a dependent. */
  dependent: { id: string; name: string } | null;
}

const HOUSEHOLD = `h.id, h.township_id AS "townshipId", h.branch_id AS "branchId", h.head_resident_id AS "headResidentId", h.created_at AS "createdAt"`;
const DEPENDENT = `d.id, d.household_id AS "householdId", d.township_id AS "townshipId", d.name, d.birth_year AS "birthYear", d.created_at AS "createdAt"`;

/** The household tables: `household`, `household_member`, `household_dependent`. */
@Injectable()
export class HouseholdRepository {
  /** A new household with its head as first member (the head foreign key is checked at commit). */
  async create(m: EntityManager, h: { townshipId: string; branchId: string; headResidentId: string; by: string }): Promise<string> {
    const [{ id }] = await m.query(
      `INSERT INTO household (township_id, branch_id, head_resident_id, created_by) VALUES ($1, $2, $3, $4) RETURNING id`,
      [h.townshipId, h.branchId, h.headResidentId, h.by],
    );
    return id;
  }

  /** Adds the residents; returns those added (a resident already in a household is not). */
  async addMembers(m: EntityManager, householdId: string, townshipId: string, residentIds: string[], by: string): Promise<string[]> {
    const rows: { residentId: string }[] = await m.query(
      `INSERT INTO household_member (household_id, township_id, resident_id, added_by)
       SELECT $1, $2, r, $4 FROM unnest($3::uuid[]) AS r
       ON CONFLICT DO NOTHING RETURNING resident_id AS "residentId"`,
      [householdId, townshipId, residentIds, by],
    );
    return rows.map((r) => r.residentId);
  }

  async removeMember(m: EntityManager, householdId: string, residentId: string): Promise<boolean> {
    const [, removed] = await m.query(`DELETE FROM household_member WHERE household_id = $1 AND resident_id = $2`, [householdId, residentId]);
    return removed > 0;
  }

  async setHead(m: EntityManager, householdId: string, residentId: string): Promise<void> {
    await m.query(`UPDATE household SET head_resident_id = $2 WHERE id = $1`, [householdId, residentId]);
  }

  async get(m: EntityManager, id: string, lock: '' | 'FOR UPDATE' = ''): Promise<HouseholdRow | undefined> {
    const [row] = await m.query(`SELECT ${HOUSEHOLD} FROM household h WHERE h.id = $1 ${lock}`, [id]);
    return row;
  }

  /** The household the resident belongs to, if any. */
  async ofResident(m: EntityManager, residentId: string): Promise<HouseholdRow | undefined> {
    const [row] = await m.query(
      `SELECT ${HOUSEHOLD} FROM household h JOIN household_member hm ON hm.household_id = h.id WHERE hm.resident_id = $1`,
      [residentId],
    );
    return row;
  }

  /** A branch's households, oldest first, after the keyset (created at, id). */
  async ofBranch(m: EntityManager, branchId: string, after: [Date, string] | null, limit: number): Promise<HouseholdRow[]> {
    return m.query(
      `SELECT ${HOUSEHOLD} FROM household h
       WHERE h.branch_id = $1 AND ($2::timestamptz IS NULL OR (h.created_at, h.id) > ($2::timestamptz, $3::uuid))
       ORDER BY h.created_at, h.id LIMIT $4`,
      [branchId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
  }

  async members(m: EntityManager, householdIds: string[]): Promise<MemberRow[]> {
    if (!householdIds.length) return [];
    return m.query(
      `SELECT household_id AS "householdId", resident_id AS "residentId", joined_at AS "joinedAt" FROM household_member
       WHERE household_id = ANY($1::uuid[]) ORDER BY joined_at, resident_id`,
      [householdIds],
    );
  }

  /** The dependents still in these households. */
  async dependents(m: EntityManager, householdIds: string[]): Promise<DependentRow[]> {
    if (!householdIds.length) return [];
    return m.query(
      `SELECT ${DEPENDENT} FROM household_dependent d WHERE d.household_id = ANY($1::uuid[]) AND d.removed_at IS NULL ORDER BY d.created_at, d.id`,
      [householdIds],
    );
  }

  async addDependent(m: EntityManager, d: { householdId: string; townshipId: string; name: string; birthYear: number; by: string }): Promise<string> {
    const [{ id }] = await m.query(
      `INSERT INTO household_dependent (household_id, township_id, name, birth_year, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [d.householdId, d.townshipId, d.name, d.birthYear, d.by],
    );
    return id;
  }

  /** A dependent still in a household, locked against a concurrent removal. */
  async liveDependent(m: EntityManager, id: string): Promise<DependentRow | undefined> {
    const [row] = await m.query(`SELECT ${DEPENDENT} FROM household_dependent d WHERE d.id = $1 AND d.removed_at IS NULL FOR UPDATE`, [id]);
    return row;
  }

  async removeDependent(m: EntityManager, id: string, by: string): Promise<void> {
    await m.query(`UPDATE household_dependent SET removed_at = now(), removed_by = $2 WHERE id = $1`, [id, by]);
  }

  /** Names of dependents by id (removed ones too: old sign-ups keep showing whom they were for). */
  async dependentNames(m: EntityManager, ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows: { id: string; name: string }[] = await m.query(`SELECT id, name FROM household_dependent WHERE id = ANY($1::uuid[])`, [ids]);
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /**
   * Whether the resident `actorResidentId` shares a household with the target (another
   * member, or a dependent still in it), read now, never cached: a member removed a
   * moment ago is refused at once. The rows are locked FOR SHARE, so a removal waits for
   * this transaction, and one committed before it is seen.
   */
  async link(m: EntityManager, actorResidentId: string, target: { residentId?: string; dependentId?: string }): Promise<HouseholdLink | undefined> {
    if (target.dependentId) {
      const [row] = await m.query(
        `SELECT me.household_id AS "householdId", me.township_id AS "townshipId", d.id AS "dependentId", d.name AS "dependentName"
         FROM household_member me JOIN household_dependent d ON d.household_id = me.household_id
         WHERE me.resident_id = $1 AND d.id = $2 AND d.removed_at IS NULL
         FOR SHARE OF me, d`,
        [actorResidentId, target.dependentId],
      );
      return row && { householdId: row.householdId, townshipId: row.townshipId, dependent: { id: row.dependentId, name: row.dependentName } };
    }
    const [row] = await m.query(
      `SELECT me.household_id AS "householdId", me.township_id AS "townshipId"
       FROM household_member me JOIN household_member other ON other.household_id = me.household_id
       WHERE me.resident_id = $1 AND other.resident_id = $2
       FOR SHARE OF me, other`,
      [actorResidentId, target.residentId],
    );
    return row && { householdId: row.householdId, townshipId: row.townshipId, dependent: null };
  }
}
