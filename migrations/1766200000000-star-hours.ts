import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 16, star levels by service hours: a township's admin chooses what its star levels
 * count (honour_setting.star_basis, POINTS until chosen), and an HOURS ladder (thresholds
 * in whole hours) is kept beside the POINTS one under the same rules (the deferred ladder
 * trigger checks each basis's ladder on its own).
 */
export class StarHours1766200000000 implements MigrationInterface {
  name = 'StarHours1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE honour_setting ADD COLUMN star_basis text NOT NULL DEFAULT 'POINTS' CHECK (star_basis IN ('POINTS', 'HOURS'));
      ALTER TABLE star_level DROP CONSTRAINT star_level_basis_check;
      ALTER TABLE star_level ADD CONSTRAINT star_level_basis_check CHECK (basis IN ('POINTS', 'HOURS'));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM star_level WHERE basis = 'HOURS';
      ALTER TABLE star_level DROP CONSTRAINT star_level_basis_check;
      ALTER TABLE star_level ADD CONSTRAINT star_level_basis_check CHECK (basis IN ('POINTS'));
      ALTER TABLE honour_setting DROP COLUMN star_basis;
    `);
  }
}
