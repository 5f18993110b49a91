import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { PreparingClient, preparedStatementName } from '../../src/database/prepared-statements';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { devLogin, startTestApp, TestApp } from '../support/test-app';
import { OrganisationService } from '../../src/organisation/organisation.service';

const PREPARED = `SELECT name, statement, (generic_plans + custom_plans)::int AS executions FROM pg_prepared_statements ORDER BY name`;

describe('prepared statements', () => {
  describe('PreparingClient', () => {
    let db: TestDatabase;
    let client: Client;
    beforeAll(async () => {
      db = await createTestDatabase(1);
      client = new PreparingClient({ connectionString: db.url, preparedPerConnection: 2 });
      await client.connect();
    });
    afterAll(async () => {
      await client.end();
      await db.drop();
    });
    const prepared = async () => (await client.query(PREPARED)).rows as { name: string; statement: string; executions: number }[];

    it('prepares a parameterised statement once and reuses it; leaves parameterless and multi-statement texts alone', async () => {
      const text = 'SELECT $1::int + 1 AS n';
      expect((await client.query(text, [1])).rows).toEqual([{ n: 2 }]);
      expect((await client.query(text, [41])).rows).toEqual([{ n: 42 }]);
      await client.query('SELECT 1; SELECT 2');
      await client.query('SELECT 3', []);
      expect(await prepared()).toEqual([{ name: preparedStatementName(text), statement: text, executions: 2 }]);
    });

    it('keeps at most its capacity, deallocating the least recently used, even after an aborted transaction', async () => {
      const [a, b, c, d] = ['SELECT $1::int AS a', 'SELECT $1::int AS b', 'SELECT $1::int AS c', 'SELECT $1::int AS d'];
      await client.query('DEALLOCATE ALL');
      (client as unknown as { prepared: Map<string, string> }).prepared.clear();
      (client as unknown as { connection: { parsedStatements: object } }).connection.parsedStatements = {};
      await client.query(a, [1]);
      await client.query(b, [1]);
      await client.query(a, [2]); // a is now the most recently used
      await client.query(c, [1]); // evicts b
      expect((await prepared()).map((s) => s.statement).sort()).toEqual([a, c]);
      expect((await client.query(b, [7])).rows).toEqual([{ b: 7 }]); // re-prepared, evicting a
      expect((await prepared()).map((s) => s.statement).sort()).toEqual([b, c]);

      // In an aborted transaction DEALLOCATE fails: the statement stays known, and using
      // it again after the rollback must not try to prepare it a second time.
      await client.query('BEGIN');
      await expect(client.query('SELECT 1/0')).rejects.toThrow(/division by zero/);
      await expect(client.query(d, [1])).rejects.toThrow(/current transaction is aborted/);
      await client.query('ROLLBACK');
      expect((await client.query(c, [3])).rows).toEqual([{ c: 3 }]);
      expect((await client.query(b, [3])).rows).toEqual([{ b: 3 }]);
      expect((await client.query(d, [3])).rows).toEqual([{ d: 3 }]);
      expect((await prepared()).length).toBeLessThanOrEqual(3);
    });
  });

  describe('the service', () => {
    let t: TestApp;
    beforeAll(async () => {
      // One connection, so the statements the requests prepared are the ones this test sees.
      t = await startTestApp({ DATABASE_POOL_SIZE: '1' });
    });
    afterAll(() => t.close());

    it('prepares the statements of a request once on its connection and reuses them on the next requests', async () => {
      const { townshipId } = await t.app.get(OrganisationService).bootstrap({ townshipCode: 'lucheng', townshipName: '潞城镇', adminName: '张书记', adminMobile: '13800000001' });
      const token = await devLogin(t, '13800000001');
      const prepared = async () => (await t.app.get(DataSource).query(PREPARED)) as { name: string; statement: string; executions: number }[];
      const me = async () =>
        expect((await t.gql(`query($t: ID!) { me { name } township(id: $t) { name } }`, { t: townshipId }, token)).data).toEqual({
          me: { name: '张书记' },
          township: { name: '潞城镇' },
        });
      await me();
      const first = await prepared();
      expect(first.find((s) => /FROM person p LEFT JOIN resident/.test(s.statement))).toBeDefined(); // the principal
      await me();
      await me();
      const after = await prepared();
      // Nothing new was prepared (each text is parsed once per connection), yet the statements ran again.
      expect(after.map((s) => s.name)).toEqual(first.map((s) => s.name));
      const executions = (rows: { executions: number }[]) => rows.reduce((sum, s) => sum + s.executions, 0);
      expect(executions(after)).toBeGreaterThan(executions(first) + 1); // the pg_prepared_statements query itself counts once
      expect(after.every((s) => s.name === preparedStatementName(s.statement))).toBe(true);
    });
  });
});
