import { DataSource } from 'typeorm';
import { migrations } from '../../migrations';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { adminQuery, databaseUrl, dropDatabase, ensureTestRoles, OWNER_ROLE } from '../support/postgres';

/**
 * The township-persons migration on data written before it: a person who was a resident
 * of A and an admin of B becomes two persons (B's role moves to B's copy, WeChat binding
 * kept in both); a person in nothing is removed; every membership ends in its own township.
 */
describe('migrating global persons to township persons', () => {
  const name = `cb_test_persons_${process.pid}_${Date.now()}`;
  let ds: DataSource;
  const upTo = (count: number) => new DataSource({ ...dataSourceOptions(databaseUrl(name, OWNER_ROLE), 2, 'test-persons'), migrations: migrations.slice(0, count) } as never);

  beforeAll(async () => {
    await ensureTestRoles();
    await adminQuery(`CREATE DATABASE "${name}" OWNER ${OWNER_ROLE}`);
    const before = upTo(migrations.findIndex((m) => m.name === 'TownshipPersons1764500000001'));
    await before.initialize();
    await before.runMigrations({ transaction: 'each' });
    ds = before;
  }, 60_000);
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await dropDatabase(name);
  });

  it('splits a person across townships, keeps names and WeChat, removes orphans', async () => {
    const [{ id: a }] = await ds.query(`INSERT INTO township (code, name) VALUES ('mig-a', '甲镇') RETURNING id`);
    const [{ id: b }] = await ds.query(`INSERT INTO township (code, name) VALUES ('mig-b', '乙镇') RETURNING id`);
    const [{ id: branchA }] = await ds.query(`INSERT INTO branch (township_id, name) VALUES ($1, '一村') RETURNING id`, [a]);
    const [{ id: both }] = await ds.query(`INSERT INTO person (name, mobile, wechat_openid) VALUES ('周两镇', '13700000001', 'openid-both') RETURNING id`);
    const [{ id: onlyB }] = await ds.query(`INSERT INTO person (name, mobile) VALUES ('吴乙镇', '13700000002') RETURNING id`);
    const [{ id: orphan }] = await ds.query(`INSERT INTO person (name, mobile) VALUES ('郑无人', '13700000003') RETURNING id`);
    await ds.query(`INSERT INTO resident (person_id, township_id, branch_id) VALUES ($1, $2, $3)`, [both, a, branchA]);
    await ds.query(`INSERT INTO role_assignment (person_id, role, township_id) VALUES ($1, 'TOWNSHIP_ADMIN', $2), ($3, 'TOWNSHIP_ADMIN', $2)`, [both, b, onlyB]);

    await ds.destroy();
    ds = upTo(migrations.length);
    await ds.initialize();
    // This migration and every later one run on the data.
    const from = migrations.findIndex((m) => m.name === 'TownshipPersons1764500000001');
    expect((await ds.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(migrations.slice(from).map((m) => m.name));

    const persons: { id: string; township: string; name: string; mobile: string; openid: string | null }[] = await ds.query(
      `SELECT p.id, t.code AS township, p.name, p.mobile, p.wechat_openid AS openid FROM person p JOIN township t ON t.id = p.township_id ORDER BY p.mobile, t.code`,
    );
    expect(persons.map(({ id: _, ...p }) => p)).toEqual([
      { township: 'mig-a', name: '周两镇', mobile: '13700000001', openid: 'openid-both' },
      { township: 'mig-b', name: '周两镇', mobile: '13700000001', openid: 'openid-both' },
      { township: 'mig-b', name: '吴乙镇', mobile: '13700000002', openid: null },
    ]);
    expect(persons[0].id).toBe(both);
    expect(persons.map((p) => p.id)).not.toContain(orphan);
    const [role] = await ds.query(`SELECT person_id FROM role_assignment WHERE township_id = $1 AND person_id <> $2`, [b, onlyB]);
    expect(role.person_id).toBe(persons[1].id);
    // Every membership is of a person of its own township (and the database now insists).
    const [{ crossing }] = await ds.query(
      `SELECT (SELECT count(*) FROM resident r JOIN person p ON p.id = r.person_id WHERE p.township_id <> r.township_id)
            + (SELECT count(*) FROM role_assignment r JOIN person p ON p.id = r.person_id WHERE p.township_id <> r.township_id) AS crossing`,
    );
    expect(Number(crossing)).toBe(0);
    await expect(ds.query(`INSERT INTO role_assignment (person_id, role, township_id) VALUES ($1, 'TOWNSHIP_ADMIN', $2)`, [both, b])).rejects.toThrow(
      /role_assignment_person_township_fk/,
    );
  });
});
