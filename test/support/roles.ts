import { DataSource } from 'typeorm';
import { nextMobile } from './factories';

/** Makes a new person a township admin; returns their mobile (for devLogin). */
export async function grantAdmin(ds: DataSource, townshipId: string): Promise<string> {
  const mobile = nextMobile();
  await ds.query(
    `WITH p AS (INSERT INTO person (township_id, name, mobile) VALUES ($2, '镇管理员', $1) RETURNING id)
     INSERT INTO role_assignment (person_id, role, township_id) SELECT id, 'TOWNSHIP_ADMIN', $2 FROM p`,
    [mobile, townshipId],
  );
  return mobile;
}

/** Makes a new person the manager of a branch; returns their mobile. */
export async function grantManager(ds: DataSource, townshipId: string, branchId: string): Promise<string> {
  const mobile = nextMobile();
  await ds.query(
    `WITH p AS (INSERT INTO person (township_id, name, mobile) VALUES ($2, '分行行长', $1) RETURNING id)
     INSERT INTO role_assignment (person_id, role, township_id, branch_id) SELECT id, 'BRANCH_MANAGER', $2, $3 FROM p`,
    [mobile, townshipId, branchId],
  );
  return mobile;
}

export async function mobileOf(ds: DataSource, personId: string): Promise<string> {
  const [row] = await ds.query(`SELECT mobile FROM person WHERE id = $1`, [personId]);
  return row.mobile;
}
