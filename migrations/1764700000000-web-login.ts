import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signing in to the web app inside WeChat's browser (issue 11).
 *
 * WeChat web authorisation gives an openid under the official account (公众号), a
 * different app from the mini-program, so the same person has a different openid there:
 * it gets a column of its own. WeChat gives web pages no verified phone number, so a
 * resident's first web sign-in is bound with a one-time code their branch hands them
 * (绑定码): stored as a hash, short-lived, void after a few wrong tries.
 *
 * Like the mini-program's openid since persons became per township (1764500000001), the
 * web openid is unique within a township only: one WeChat user may be bound to their
 * record in each township that issued them a code, and signs in choosing among them.
 * A binding code belongs to one township's record of the resident.
 */
export class WebLogin1764700000000 implements MigrationInterface {
  name = 'WebLogin1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE person ADD COLUMN wechat_web_openid text,
        ADD CONSTRAINT person_township_web_openid_key UNIQUE (township_id, wechat_web_openid);
      CREATE INDEX person_web_openid_idx ON person (wechat_web_openid) WHERE wechat_web_openid IS NOT NULL;

      CREATE TABLE binding_code (
        person_id        uuid PRIMARY KEY,
        township_id      uuid NOT NULL REFERENCES township(id),
        code_hash        text NOT NULL,
        expires_at       timestamptz NOT NULL,
        failed_attempts  integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
        issued_by        uuid NOT NULL REFERENCES person(id),
        issued_at        timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, person_id) REFERENCES person (township_id, id)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE binding_code;
      ALTER TABLE person DROP COLUMN wechat_web_openid;
    `);
  }
}
