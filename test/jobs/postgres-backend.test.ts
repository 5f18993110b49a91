import { randomUUID } from 'node:crypto';
import { JobType } from 'bullmq';
import { addMonths, monthOf, monthRange } from '../../src/common/time/shanghai-month';
import { TransactionRunner } from '../../src/database/transaction.runner';
import { JobQueues } from '../../src/jobs/job-queues';
import { THEMES_QUEUE } from '../../src/themes/theme.jobs';
import { QueueConnection } from '../../src/jobs/queue-connection';
import { LedgerService } from '../../src/ledger/ledger.service';
import { EntryKind } from '../../src/ledger/ledger.types';
import { seedTownship } from '../support/factories';
import { grantAdmin } from '../support/roles';
import { waitFor } from '../support/wait-for';
import { devLogin, startTestApp, TestApp } from '../support/test-app';

/**
 * The embedded mode: no REDIS_URL, so the queues run on BullMQ's PostgreSQL backend in
 * the service's own database (schema "bullmq"). Scheduler, deterministic ids and the
 * settlement flow must work there too.
 */
describe('queues on BullMQ PostgreSQL backend (no REDIS_URL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REDIS_URL: '' }, { connectAs: 'owner' });
  });
  afterAll(() => t?.close());

  it('publishes themes and settles a month without Redis', async () => {
    expect(t.app.get(QueueConnection).kind).toBe('postgres');
    const queues = t.app.get(JobQueues);
    expect(await queues.queue(THEMES_QUEUE).getJobSchedulersCount()).toBe(1);

    const town = await seedTownship(t.db.dataSource, { branches: 2, residentsPerBranch: 1 });
    const admin = await devLogin(t, await grantAdmin(t.db.dataSource, town.id));
    const month = monthOf(new Date());
    await t.gql(`mutation($t: ID!, $m: String!) { addTheme(input: { townshipId: $t, month: $m, title: "环境整治", suggestedPoints: 2 }) { id } }`, { t: town.id, m: month }, admin);
    await t.gql(`mutation($t: ID!, $m: String!) { publishThemes(townshipId: $t, month: $m) { branchesTotal } }`, { t: town.id, m: month }, admin);
    await t.gql(`mutation($t: ID!, $m: String!) { publishThemes(townshipId: $t, month: $m) { branchesTotal } }`, { t: town.id, m: month }, admin);
    await waitFor('publication', async () => {
      const [{ n }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM theme_publication WHERE township_id = $1`, [town.id]);
      return n === 2 ? true : undefined;
    });
    // The two requests had the same deterministic job id: one job. This backend reads each
    // state with its own query, so a job moving from active to completed between two of them
    // is seen in neither: wait for it to have finished, then count it in every state.
    const jobsOfTown = async (states: JobType[]) => (await queues.queue(THEMES_QUEUE).getJobs(states)).filter((j) => j.data.townshipId === town.id);
    await waitFor('publication job completed', async () => ((await jobsOfTown(['completed'])).length > 0 ? true : undefined));
    expect(await jobsOfTown(['completed', 'active', 'waiting', 'delayed', 'failed', 'prioritized'])).toHaveLength(1);

    const past = addMonths(month, -1);
    const r = town.branches[1].residents[0];
    await new TransactionRunner(await t.db.asOwner()).run((m) =>
      new LedgerService().post(m, {
        townshipId: town.id,
        idempotencyKey: randomUUID(),
        kind: EntryKind.MINT,
        memo: '志愿服务',
        lines: [
          { accountId: r.accountId, amount: 2 },
          { accountId: town.branches[1].issuanceAccountId, amount: -2 },
        ],
        reference: { type: 'ACTIVITY', id: 'a1' },
        bookedAt: new Date(monthRange(past).start.getTime() + 3600_000),
      }),
    );
    await t.gql(`mutation($t: ID!, $m: String!) { startSettlement(townshipId: $t, month: $m) { status } }`, { t: town.id, m: past }, admin);
    const settled = await waitFor('settlement', async () => {
      const res = await t.gql(
        `query($t: ID!, $m: String!) { settlement(townshipId: $t, month: $m) { status branches { branchId pointsMinted distinctVolunteers } } }`,
        { t: town.id, m: past },
        admin,
      );
      return res.data.settlement.status === 'RUNNING' ? undefined : res.data.settlement;
    });
    expect(settled.status).toBe('SUCCEEDED');
    expect(settled.branches.find((b: any) => b.branchId === town.branches[1].id)).toEqual({
      branchId: town.branches[1].id,
      pointsMinted: 2,
      distinctVolunteers: 1,
    });
  });
});
