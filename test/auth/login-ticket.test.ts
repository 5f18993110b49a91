import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { LoginTicketService } from '../../src/auth/login-ticket.service';
import { OrganisationService } from '../../src/organisation/organisation.service';
import { nextMobile } from '../support/factories';
import { TEST_REDIS_URL, testQueuePrefix } from '../support/redis';
import { ok } from '../support/activity-fixture';
import { errorCode, startTestApp, TestApp } from '../support/test-app';

const LOGIN = `mutation($t: String!) { loginWithTicket(ticket: $t) { status accessToken expiresAt } }`;
const ME = `{ me { name roles { role } } }`;
const REPO = resolve(__dirname, '../..');

/**
 * A first admin sign-in without WeChat: `admin-login-link` (the CLI, run here from source
 * as operators run it in the image) prints a link; its ticket logs in once, in production.
 */
describe('one-time admin login links', () => {
  let t: TestApp;
  const code = `lt-${randomBytes(4).toString('hex')}`;
  const adminMobile = nextMobile();

  beforeAll(async () => {
    t = await startTestApp({
      NODE_ENV: 'production',
      DEV_LOGIN_ENABLED: 'false',
      JWT_SECRET: randomBytes(48).toString('base64'),
      METRICS_TOKEN: randomBytes(24).toString('hex'),
    });
    await t.app.get(OrganisationService).bootstrap({ townshipCode: code, townshipName: '试点镇', adminName: '李书记', adminMobile });
  });
  afterAll(() => t?.close());

  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli.ts', ...args], {
      cwd: REPO,
      env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: t.db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: testQueuePrefix(), LOG_LEVEL: 'silent', PUBLIC_BASE_URL: 'https://bank.example.cn/' },
    });

  it('prints a link whose ticket logs the admin in once, stored only as a hash', async () => {
    const { stdout } = await cli('admin-login-link', '--township', code, '--mobile', adminMobile);
    const link = stdout.match(/^https:\/\/bank\.example\.cn\/login\?ticket=([A-Za-z0-9_-]{43})$/m);
    expect(link).not.toBeNull();
    const ticket = link![1];
    const [stored] = await t.db.dataSource.query(`SELECT ticket_hash AS hash, expires_at - issued_at AS ttl FROM login_ticket`);
    expect(stored.hash).toBe(createHash('sha256').update(ticket).digest('hex'));
    expect(stored.ttl).toEqual({ minutes: 15 });

    const login = ok(await t.gql(LOGIN, { t: ticket })).loginWithTicket;
    expect(login.status).toBe('LOGGED_IN');
    expect(ok(await t.gql(ME, {}, login.accessToken)).me).toEqual({ name: '李书记', roles: [{ role: 'TOWNSHIP_ADMIN' }] });
    // Once only.
    expect(errorCode(await t.gql(LOGIN, { t: ticket }))).toBe('LOGIN_TICKET_INVALID');
  }, 60_000);

  it('refuses expired and unknown tickets, malformed ones as bad input, and people who are not admins', async () => {
    const { ticket } = await t.app.get(LoginTicketService).issue(code, adminMobile);
    await t.db.asOwner().then((owner) => owner.query(`UPDATE login_ticket SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`));
    expect(errorCode(await t.gql(LOGIN, { t: ticket }))).toBe('LOGIN_TICKET_INVALID');
    expect(errorCode(await t.gql(LOGIN, { t: randomBytes(32).toString('base64url') }))).toBe('LOGIN_TICKET_INVALID');
    expect(errorCode(await t.gql(LOGIN, { t: 'not a ticket' }))).toBe('BAD_USER_INPUT');
    await expect(cli('admin-login-link', '--township', code, '--mobile', nextMobile())).rejects.toMatchObject({ code: 1 });
  }, 60_000);
});
