import { DataSource } from 'typeorm';

export interface DbFingerprint {
  /** Row count of every table. */
  rows: Record<string, number>;
  /** md5 of every table's rows, so updates show up as well as inserts and deletes. */
  content: Record<string, string>;
  /** Sum of every stored account balance. */
  balanceTotal: number;
}

/**
 * Tables the notification jobs write after a request's transaction committed (an event is
 * expanded into inbox rows, WeChat messages change state): only what a request itself
 * writes is compared, so a job finishing an earlier request's delivery is not taken for a
 * change. The event rows themselves (the outbox) are compared whole but for the job's marks.
 */
const JOB_WRITTEN: Record<string, string> = {
  notification_event: `(SELECT id, township_id, kind, event_key, audience, title, body, data, urgent, created_at FROM notification_event)`,
  notification: `(SELECT id, read_at FROM notification WHERE read_at IS NOT NULL)`,
};

/**
 * Everything a request could have changed, to compare before and after requests that
 * must change nothing (refused access, bad input). One round trip over every table.
 */
export async function dbFingerprint(ds: DataSource): Promise<DbFingerprint> {
  const tables: { name: string }[] = await ds.query(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const perTable = tables.map(
    ({ name }) =>
      `SELECT '${name}' AS name, count(*)::int AS n, coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS h FROM ${JOB_WRITTEN[name] ?? `"${name}"`} t`,
  );
  const result: { name: string; n: number; h: string }[] = await ds.query(perTable.join(' UNION ALL '));
  const [{ total }] = await ds.query(`SELECT coalesce(sum(balance), 0)::int8 AS total FROM account_balance`);
  return {
    rows: Object.fromEntries(result.map((r) => [r.name, r.n])),
    content: Object.fromEntries(result.map((r) => [r.name, r.h])),
    balanceTotal: Number(total),
  };
}
