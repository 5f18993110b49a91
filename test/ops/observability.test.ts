import pino from 'pino';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/app-config';
import { loggingParams } from '../../src/observability/logging';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { nextMobile } from '../support/factories';
import { devLogin, startTestApp, TestApp } from '../support/test-app';

describe('observability', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN: 'scrape-token-0123456789' });
    base = t.url.replace(/\/graphql$/, '');
  });
  afterAll(() => t.close());

  const scrape = async () => {
    const response = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer scrape-token-0123456789' } });
    expect(response.status).toBe(200);
    return response.text();
  };
  const sample = (text: string, name: string, labels: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('counts GraphQL operations by root field and outcome, and ledger entries after commit', async () => {
    const adminMobile = nextMobile();
    const { townshipId } = await t.app.get(OrganisationService).bootstrap({ townshipCode: `m${Date.now()}`, townshipName: '潞城镇', adminName: '张书记', adminMobile });
    const admin = await devLogin(t, adminMobile);
    const before = await scrape();
    const branch = await t.gql(`mutation($t: ID!) { createBranch(input: { townshipId: $t, name: "大东各庄村" }) { id } }`, { t: townshipId }, admin);
    const resident = await t.gql(`mutation($b: ID!, $m: String!) { registerResident(input: { branchId: $b, name: "王阿姨", mobile: $m }) { id } }`, { b: branch.data.createBranch.id, m: nextMobile() }, admin);
    const [{ id: accountId }] = await t.db.dataSource.query(`SELECT id FROM account WHERE resident_id = $1`, [resident.data.registerResident.id]);
    const adjust = (key: string, amount: number) =>
      t.gql(`mutation($a: ID!, $k: String!, $n: Int!) { postAdjustment(input: { accountId: $a, amount: $n, reason: "补录", idempotencyKey: $k }) { id } }`, { a: accountId, k: key, n: amount }, admin);
    await adjust('metrics-1', 3);
    await adjust('metrics-1', 3); // idempotent replay: no new entry
    await adjust('metrics-2', -10); // overdraws the resident: refused, rolled back
    await t.gql(`{ me { name } }`);
    const after = await scrape();

    const delta = (name: string, labels: string) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('cb_ledger_entries_posted_total', 'kind="ADJUSTMENT"')).toBe(1);
    expect(delta('cb_graphql_operations_total', 'operation="postAdjustment",outcome="ok"')).toBe(2);
    expect(delta('cb_graphql_operations_total', 'operation="postAdjustment",outcome="INSUFFICIENT_POINTS"')).toBe(1);
    expect(delta('cb_graphql_operations_total', 'operation="me",outcome="UNAUTHENTICATED"')).toBe(1);
    expect(delta('cb_http_requests_total', 'method="POST",route="/graphql",status="200"')).toBeGreaterThanOrEqual(6);
    expect(after).toMatch(/cb_graphql_operation_duration_seconds_bucket\{le="[^"]+",type="mutation",operation="postAdjustment"\}/);
    expect(after).toContain('cb_process_resident_memory_bytes');
  });

  it('wants the scrape token when one is configured', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-000000000' } })).status).toBe(401);
  });

  it('answers with the request id it was given, or a new one', async () => {
    const given = await fetch(`${base}/health/live`, { headers: { 'x-request-id': 'trace-abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc-123');
    const made = await fetch(`${base}/health/live`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('writes JSON log lines with mobiles and WeChat ids masked', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const { pinoHttp } = loggingParams(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info' })) as { pinoHttp: pino.LoggerOptions };
    const logger = pino(pinoHttp, sink);
    logger.info({ person: { mobile: '13912345678', openid: 'oAbCdEfGhIjKlMnOpQrStUvWx123' } }, 'bound 13912345678 to oAbCdEfGhIjKlMnOpQrStUvWx123');
    const line = JSON.parse(lines[0]);
    expect(line.msg).toBe('bound 139****5678 to o***x123');
    expect(line.person).toEqual({ mobile: '139****5678', openid: '***x123' });
    expect(lines[0]).not.toContain('13912345678');
    expect(lines[0]).not.toContain('oAbCdEfGhIjKlMnOpQrStUvWx123');
  });
});
