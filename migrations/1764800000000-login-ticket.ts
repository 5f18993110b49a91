import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One-time admin login links (issue 14): a first sign-in without WeChat credentials, for
 * a new deployment. `admin-login-link` (CLI: whoever runs it holds the database) stores
 * the SHA-256 of a random ticket; `loginWithTicket` spends it once, before it expires.
 */
export class LoginTicket1764800000000 implements MigrationInterface {
  name = 'LoginTicket1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE login_ticket (
        ticket_hash  text PRIMARY KEY,
        township_id  uuid NOT NULL REFERENCES township(id),
        person_id    uuid NOT NULL,
        expires_at   timestamptz NOT NULL,
        used_at      timestamptz,
        issued_at    timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, person_id) REFERENCES person (township_id, id)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE login_ticket`);
  }
}
