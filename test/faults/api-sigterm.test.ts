import { NestFactory } from '@nestjs/core';
import { CliModule } from '../../src/cli.module';
import { loadConfig } from '../../src/config/app-config';
import { LedgerService } from '../../src/ledger/ledger.service';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { nextMobile } from '../support/factories';
import { spawnService, ServiceProcess } from '../support/service-process';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * SIGTERM reaches the API while it is busy writing the ledger. Every request either
 * completes, or its connection is refused or closed (never a server error, never half an
 * entry); the process exits 0; retries with the same idempotency keys book every
 * adjustment exactly once; the ledger reconciles.
 */
describe('API receives SIGTERM under load', () => {
  let db: TestDatabase;
  let api: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    if (api && api.child.exitCode === null) api.child.kill('SIGKILL');
    await db.drop();
  });

  it('drains in-flight requests, leaves no partial writes and exits cleanly', async () => {
    const adminMobile = nextMobile();
    const residentMobile = nextMobile();
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
    const ctx = await NestFactory.createApplicationContext(CliModule.forRoot(config, db.url), { logger: false });
    const { townshipId } = await ctx.get(OrganisationService).bootstrap({ townshipCode: 'sigterm', townshipName: '潞城镇', adminName: '张书记', adminMobile });
    await ctx.close();

    // No REDIS_URL: the queues run on PostgreSQL, whose backend creates its own schema, so as the owner role.
    api = await spawnService('src/main.ts', { DATABASE_URL: db.ownerUrl, DEV_LOGIN_ENABLED: 'true', RUN_MIGRATIONS: 'false', RATE_LIMIT_MUTATIONS_PER_MINUTE: '100000', LOG_LEVEL: 'silent' });
    const gql = async (query: string, variables: object, token?: string) => {
      const response = await fetch(`${api.baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as any;
    };
    const admin = (await gql(`mutation($m: String!) { devLogin(mobile: $m) { accessToken } }`, { m: adminMobile })).data.devLogin.accessToken;
    const branch = await gql(`mutation($t: ID!) { createBranch(input: { townshipId: $t, name: "西营村" }) { id } }`, { t: townshipId }, admin);
    const resident = await gql(`mutation($b: ID!, $m: String!) { registerResident(input: { branchId: $b, name: "赵大爷", mobile: $m }) { id } }`, { b: branch.data.createBranch.id, m: residentMobile }, admin);
    const [{ id: accountId }] = await db.dataSource.query(`SELECT id FROM account WHERE resident_id = $1`, [resident.data.registerResident.id]);

    const outcomes = new Map<string, 'ok' | string>();
    let sent = 0;
    const adjust = async (key: string) => {
      try {
        const res = await gql(
          `mutation($a: ID!, $k: String!) { postAdjustment(input: { accountId: $a, amount: 1, reason: "停机测试", idempotencyKey: $k }) { id } }`,
          { a: accountId, k: key },
          admin,
        );
        outcomes.set(key, res.errors ? String(res.errors[0].extensions?.code) : 'ok');
      } catch (error) {
        outcomes.set(key, `connection: ${(error as Error).cause ?? (error as Error).message}`);
      }
    };
    // 16 clients keep requests in flight; SIGTERM lands after 100 have been sent.
    const clients = Array.from({ length: 16 }, async (_, c) => {
      for (let i = 0; i < 12; i++) {
        sent++;
        if (sent === 100) api.child.kill('SIGTERM');
        await adjust(`sigterm-${c}-${i}`);
      }
    });
    await Promise.all(clients);
    expect(await api.exited).toBe(0);

    const succeeded = [...outcomes].filter(([, o]) => o === 'ok').map(([k]) => k);
    const failed = [...outcomes].filter(([, o]) => o !== 'ok');
    expect(succeeded.length).toBeGreaterThanOrEqual(100 - 16);
    expect(failed.length).toBeGreaterThan(0); // some requests came after the server stopped accepting
    // A request either got its answer, or its connection was refused/closed: never a server error.
    expect(failed.filter(([, o]) => !o.startsWith('connection:'))).toEqual([]);
    let committed: { key: string; postings: number }[] = await db.dataSource.query(
      `SELECT e.idempotency_key AS key, (SELECT count(*)::int FROM posting p WHERE p.entry_id = e.id) AS postings
       FROM journal_entry e WHERE e.kind = 'ADJUSTMENT'`,
    );
    // Everything answered "ok" is committed, whole (no entry without its postings).
    expect(committed.every((c) => c.postings === 2)).toBe(true);
    const committedKeys = new Set(committed.map((c) => c.key));
    expect(succeeded.filter((k) => !committedKeys.has(`adjustment:${k}`))).toEqual([]);

    // A lost connection leaves the outcome unknown to the client (the server may have
    // committed just before the socket closed): it retries with the same key, against
    // the restarted service, and every adjustment ends up booked exactly once.
    // No REDIS_URL: the queues run on PostgreSQL, whose backend creates its own schema, so as the owner role.
    api = await spawnService('src/main.ts', { DATABASE_URL: db.ownerUrl, DEV_LOGIN_ENABLED: 'true', RUN_MIGRATIONS: 'false', RATE_LIMIT_MUTATIONS_PER_MINUTE: '100000', LOG_LEVEL: 'silent' });
    for (const [key] of failed) await adjust(key);
    expect([...outcomes.values()].filter((o) => o !== 'ok')).toEqual([]);
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    committed = await db.dataSource.query(`SELECT e.idempotency_key AS key, 2 AS postings FROM journal_entry e WHERE e.kind = 'ADJUSTMENT'`);
    expect(committed.map((c) => c.key).sort()).toEqual([...outcomes.keys()].map((k) => `adjustment:${k}`).sort());
    const report = await db.dataSource.transaction((m) => new LedgerService().reconcile(m, townshipId));
    expect(report.ok).toBe(true);
    expect(report.mismatchedAccounts).toEqual([]);
    const [{ balance }] = await db.dataSource.query(`SELECT sum(balance)::int AS balance FROM account_balance WHERE account_id = $1`, [accountId]);
    expect(balance).toBe(outcomes.size);
  }, 120_000);
});
