import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Good-deed reports (issue 16): 申报 → 评议 → 公示 → 复核, owned by src/deeds.
 *
 * - deed_setting: a township's notice window (days); no row means the default, 3.
 * - deed_kind: the township's table of deed kinds and the most points each may earn.
 * - deed_scorer: a branch's scoring group (评议小组), residents of the branch appointed
 *   by its manager (kept here, not in role_assignment: it is a duty, not a login role).
 * - deed_photo: the uploaded photo (bytea: it deploys with the database, is backed up
 *   with it and is shared by every API replica; at most 5 MB, checked here too).
 * - deed_report: one report and where it stands; `round` counts the notices it had
 *   (a new window after a recheck is a new round, and a new mint job id).
 * - deed_recheck: requests for a recheck (复核), one open at a time per report.
 */
export class GoodDeeds1766000000000 implements MigrationInterface {
  name = 'GoodDeeds1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE deed_setting (
        township_id  uuid PRIMARY KEY REFERENCES township(id),
        notice_days  int NOT NULL CHECK (notice_days BETWEEN 1 AND 30),
        updated_by   uuid REFERENCES person(id),
        updated_at   timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE deed_kind (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id  uuid NOT NULL REFERENCES township(id),
        name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
        points       int NOT NULL CHECK (points BETWEEN 1 AND 100),
        active       boolean NOT NULL DEFAULT true,
        created_at   timestamptz NOT NULL DEFAULT now(),
        UNIQUE (township_id, name),
        UNIQUE (township_id, id)
      );

      CREATE TABLE deed_scorer (
        township_id  uuid NOT NULL,
        branch_id    uuid NOT NULL,
        resident_id  uuid NOT NULL,
        person_id    uuid NOT NULL REFERENCES person(id),
        appointed_by uuid REFERENCES person(id),
        appointed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (branch_id, person_id),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        FOREIGN KEY (township_id, resident_id) REFERENCES resident (township_id, id)
      );

      CREATE TABLE deed_photo (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id   uuid NOT NULL REFERENCES township(id),
        uploaded_by   uuid NOT NULL REFERENCES person(id),
        content_type  text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
        size          int NOT NULL CHECK (size BETWEEN 1 AND 5242880),
        data          bytea NOT NULL CHECK (length(data) = size),
        created_at    timestamptz NOT NULL DEFAULT now(),
        UNIQUE (township_id, id)
      );
      CREATE INDEX deed_photo_uploader_idx ON deed_photo (uploaded_by, created_at);

      CREATE TABLE deed_report (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id       uuid NOT NULL,
        branch_id         uuid NOT NULL,
        resident_id       uuid NOT NULL,
        subject_person_id uuid NOT NULL REFERENCES person(id),
        reported_by       uuid NOT NULL REFERENCES person(id),
        kind_id           uuid NOT NULL,
        title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
        description       text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
        occurred_at       timestamptz NOT NULL,
        points            int NOT NULL CHECK (points BETWEEN 1 AND 100),
        photo_id          uuid NOT NULL UNIQUE,
        status            text NOT NULL DEFAULT 'PENDING'
                          CHECK (status IN ('PENDING', 'REJECTED', 'ON_NOTICE', 'RECHECK', 'MINTED')),
        round             int NOT NULL DEFAULT 0,
        decided_by        uuid REFERENCES person(id),
        decided_at        timestamptz,
        decision_reason   text,
        notice_starts_at  timestamptz,
        notice_ends_at    timestamptz,
        entry_id          bigint,
        minted_at         timestamptz,
        created_at        timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        FOREIGN KEY (township_id, resident_id) REFERENCES resident (township_id, id),
        FOREIGN KEY (township_id, kind_id) REFERENCES deed_kind (township_id, id),
        FOREIGN KEY (township_id, photo_id) REFERENCES deed_photo (township_id, id),
        CHECK ((status IN ('ON_NOTICE', 'MINTED')) <= (notice_ends_at IS NOT NULL)),
        CHECK ((status = 'MINTED') = (entry_id IS NOT NULL))
      );
      CREATE INDEX deed_report_branch_idx ON deed_report (branch_id, created_at DESC, id DESC);
      CREATE INDEX deed_report_resident_idx ON deed_report (resident_id, created_at DESC, id DESC);
      CREATE INDEX deed_report_reporter_idx ON deed_report (reported_by, created_at DESC, id DESC);
      CREATE INDEX deed_report_notice_idx ON deed_report (notice_ends_at) WHERE status = 'ON_NOTICE';

      CREATE TABLE deed_recheck (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id   uuid NOT NULL REFERENCES township(id),
        report_id     uuid NOT NULL REFERENCES deed_report(id),
        round         int NOT NULL,
        requested_by  uuid NOT NULL REFERENCES person(id),
        reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
        created_at    timestamptz NOT NULL DEFAULT now(),
        resolved_at   timestamptz,
        outcome       text CHECK (outcome IN ('APPROVED', 'REJECTED')),
        CHECK ((resolved_at IS NULL) = (outcome IS NULL))
      );
      -- One open recheck per report.
      CREATE UNIQUE INDEX deed_recheck_open_idx ON deed_recheck (report_id) WHERE resolved_at IS NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE deed_recheck, deed_report, deed_photo, deed_scorer, deed_kind, deed_setting`);
  }
}
