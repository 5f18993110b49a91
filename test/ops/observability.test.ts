import { loadConfig } from '../../src/config/app-config';
import { createLogger } from '../../src/observability/logging';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { nextMobile } from '../support/factories';
import { logSink } from '../support/log-sink';
import { devLogin, errorCode, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/** A pino destination that keeps the lines written to it. */
describe('observability', () => {
  let t: TestApp;
  let base: string;
  const logs = logSink();
  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN: 'scrape-token-0123456789', LOG_LEVEL: 'info' }, { logs });
    base = t.url.replace(/\/graphql$/, '');
  });
  afterAll(() => t.close());

  /** The request log line of the request with this id, once written (after the response). */
  const requestLine = (id: string) =>
    waitFor(`the log line of request ${id}`, async () => logs.parsed().find((l) => l.reqId === id && l.msg === 'request completed'));

  const scrape = async () => {
    const response = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer scrape-token-0123456789' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
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
    const refused = await fetch(`${base}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-000000000' } })).status).toBe(401);
  });

  it('answers with the request id it was given, or a new one, and without x-powered-by', async () => {
    const given = await fetch(`${base}/health/live`, { headers: { 'x-request-id': 'trace-abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc-123');
    expect(given.headers.get('x-powered-by')).toBeNull();
    const made = await fetch(`${base}/health/live`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('writes one line per request with its real status, duration, request id and GraphQL operation', async () => {
    const query = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'log-line-query' },
      body: JSON.stringify({ query: 'query WhoAmI { me { name } }' }),
    });
    expect(errorCode((await query.json()) as any)).toBe('UNAUTHENTICATED');
    const line = await requestLine('log-line-query');
    expect(line).toMatchObject({
      level: 30,
      service: 'civilization-bank',
      req: { method: 'POST', url: '/graphql' },
      res: { statusCode: 200 },
      operation: 'query me',
      operationName: 'WhoAmI',
    });
    expect(line.responseTime).toBeGreaterThan(0);

    // A POST: a GET of an unknown path may be one of the web app's routes.
    const missing = await fetch(`${base}/no-such-page`, { method: 'POST', headers: { 'x-request-id': 'log-line-404' } });
    expect(missing.status).toBe(404);
    expect((await requestLine('log-line-404')).res).toEqual({ statusCode: 404 });
    const malformed = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'log-line-400' }, body: '{"query": ' });
    expect(malformed.status).toBe(400);
    expect((await requestLine('log-line-400')).res).toEqual({ statusCode: 400 });
  });

  it('does not log health probes and scrapes', async () => {
    await fetch(`${base}/health/ready`, { headers: { 'x-request-id': 'log-probe' } });
    await fetch(`${base}/metrics`, { headers: { 'x-request-id': 'log-scrape', authorization: 'Bearer scrape-token-0123456789' } });
    await fetch(`${base}/no-such-page`, { headers: { 'x-request-id': 'log-after-probes' } });
    await requestLine('log-after-probes'); // lines are written in order: the probes' would be there by now
    expect(logs.parsed().filter((l) => l.reqId === 'log-probe' || l.reqId === 'log-scrape')).toEqual([]);
  });

  it('logs an unexpected error inside a resolver with the request id the client was given', async () => {
    const adminMobile = nextMobile();
    const { townshipId } = await t.app.get(OrganisationService).bootstrap({ townshipCode: `e${Date.now()}`, townshipName: '潞城镇', adminName: '张书记', adminMobile });
    const admin = await devLogin(t, adminMobile);
    // A bug, as far as the resolver can tell: the table it reads is gone.
    const owner = await t.db.asOwner();
    await owner.query(`ALTER TABLE township RENAME TO township_away`);
    try {
      const response = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, 'x-request-id': 'log-bug-1' },
        body: JSON.stringify({ query: `query($t: ID!) { township(id: $t) { name } }`, variables: { t: townshipId } }),
      });
      expect(errorCode((await response.json()) as any)).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await owner.query(`ALTER TABLE township_away RENAME TO township`);
    }
    const bug = await waitFor('the unexpected error line', async () => logs.parsed().find((l) => l.msg === 'unexpected error' && l.reqId === 'log-bug-1'));
    expect(bug.level).toBe(50);
    expect(bug.err.message).toMatch(/township/);
    expect(bug.err.stack).toBeDefined();
    expect((await requestLine('log-bug-1')).operation).toBe('query township');
  });

  it('masks personal data on request lines too', async () => {
    await fetch(`${base}/admin/queues?token=eyJhbGciOiJIUzI1NiJ9.secret.part`, { headers: { 'x-request-id': 'log-mask-1' }, redirect: 'manual' });
    await fetch(`${base}/residents/13912345678`, { headers: { 'x-request-id': 'log-mask-2' } });
    expect((await requestLine('log-mask-1')).req.url).toBe('/admin/queues?token=[redacted]');
    expect((await requestLine('log-mask-2')).req.url).toBe('/residents/139****5678');
    expect(logs.lines.join('\n')).not.toMatch(/13912345678|secret\.part/);
  });

  it('writes JSON log lines with mobiles and WeChat ids masked', () => {
    const sink = logSink();
    const logger = createLogger(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info' }), sink);
    logger.info({ person: { mobile: '13912345678', openid: 'oAbCdEfGhIjKlMnOpQrStUvWx123' } }, 'bound 13912345678 to oAbCdEfGhIjKlMnOpQrStUvWx123');
    const line = JSON.parse(sink.lines[0]);
    expect(line.msg).toBe('bound 139****5678 to o***x123');
    expect(line.person).toEqual({ mobile: '139****5678', openid: '***x123' });
    expect(sink.lines[0]).not.toContain('13912345678');
    expect(sink.lines[0]).not.toContain('oAbCdEfGhIjKlMnOpQrStUvWx123');
  });
});
