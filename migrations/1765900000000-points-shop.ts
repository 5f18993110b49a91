import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The points shop (积分超市, issue 16): a branch's catalogue, its pickup days, stock
 * received (donations and purchases, append-only: the public statement shows them),
 * redemptions with their pickup codes, and the SHOPKEEPER role.
 *
 * Stock is exact under concurrency the way course seats are: `shop_item.stock` has
 * CHECK (stock >= 0) and a redemption takes it with one conditional UPDATE.
 */
export class PointsShop1765900000000 implements MigrationInterface {
  name = 'PointsShop1765900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE role_assignment DROP CONSTRAINT role_assignment_role_check;
      ALTER TABLE role_assignment DROP CONSTRAINT role_assignment_check;
      ALTER TABLE role_assignment ADD CONSTRAINT role_assignment_role_check
        CHECK (role IN ('TOWNSHIP_ADMIN', 'BRANCH_MANAGER', 'SHOPKEEPER'));
      ALTER TABLE role_assignment ADD CONSTRAINT role_assignment_check
        CHECK ((role IN ('BRANCH_MANAGER', 'SHOPKEEPER')) = (branch_id IS NOT NULL));

      -- When and where a branch's shop hands goods out, and how long a redemption waits.
      CREATE TABLE shop (
        branch_id        uuid PRIMARY KEY,
        township_id      uuid NOT NULL,
        pickup_weekdays  smallint[] NOT NULL DEFAULT '{}' CHECK (pickup_weekdays <@ ARRAY[1, 2, 3, 4, 5, 6, 7]::smallint[]),
        opens_at         text CHECK (opens_at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
        closes_at        text CHECK (closes_at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
        place            text NOT NULL DEFAULT '',
        note             text NOT NULL DEFAULT '',
        pickup_days      int NOT NULL DEFAULT 14 CHECK (pickup_days BETWEEN 1 AND 90),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id)
      );

      CREATE TABLE shop_item (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id   uuid NOT NULL,
        branch_id     uuid NOT NULL,
        name          text NOT NULL,
        description   text NOT NULL DEFAULT '',
        unit          text NOT NULL DEFAULT '件',
        price_points  int NOT NULL CHECK (price_points > 0),
        stock         int NOT NULL DEFAULT 0 CHECK (stock >= 0),
        active        boolean NOT NULL DEFAULT true,
        created_by    uuid REFERENCES person(id),
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        UNIQUE (branch_id, name)
      );

      -- Stock received, by donation (with its donor) or purchase. Never changed afterwards.
      CREATE TABLE shop_stock_receipt (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        township_id  uuid NOT NULL,
        branch_id    uuid NOT NULL,
        item_id      uuid NOT NULL REFERENCES shop_item(id),
        source       text NOT NULL CHECK (source IN ('DONATION', 'PURCHASE')),
        donor_kind   text CHECK (donor_kind IN ('PERSON', 'ORGANISATION')),
        donor_name   text,
        quantity     int NOT NULL CHECK (quantity > 0),
        unit_points  int NOT NULL CHECK (unit_points >= 0),
        note         text NOT NULL DEFAULT '',
        recorded_by  uuid REFERENCES person(id),
        received_at  timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        CHECK ((source = 'DONATION') = (donor_kind IS NOT NULL)),
        CHECK ((source = 'DONATION') = (donor_name IS NOT NULL))
      );
      CREATE INDEX shop_stock_receipt_branch_idx ON shop_stock_receipt (branch_id, received_at, id);
      CREATE TRIGGER shop_stock_receipt_append_only BEFORE UPDATE OR DELETE ON shop_stock_receipt
        FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
      CREATE TRIGGER shop_stock_receipt_no_truncate BEFORE TRUNCATE ON shop_stock_receipt
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();

      -- A resident's redemption: charged by one SPEND (shop-redemption:<id>), refunded by its reversal.
      CREATE TABLE shop_redemption (
        id               uuid PRIMARY KEY,
        township_id      uuid NOT NULL,
        branch_id        uuid NOT NULL,
        item_id          uuid NOT NULL REFERENCES shop_item(id),
        resident_id      uuid NOT NULL REFERENCES resident(id),
        quantity         int NOT NULL CHECK (quantity BETWEEN 1 AND 10),
        unit_points      int NOT NULL CHECK (unit_points > 0),
        code             text NOT NULL CHECK (code ~ '^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$'),
        status           text NOT NULL DEFAULT 'RESERVED' CHECK (status IN ('RESERVED', 'PICKED_UP', 'CANCELLED')),
        charge_entry_id  bigint NOT NULL,
        refund_entry_id  bigint,
        redeemed_at      timestamptz NOT NULL DEFAULT now(),
        pickup_deadline  timestamptz NOT NULL,
        picked_up_at     timestamptz,
        picked_up_by     uuid REFERENCES person(id),
        cancelled_at     timestamptz,
        cancelled_by     uuid REFERENCES person(id),
        cancel_reason    text,
        FOREIGN KEY (township_id, branch_id) REFERENCES branch (township_id, id),
        UNIQUE (branch_id, code),
        CHECK ((status = 'PICKED_UP') = (picked_up_at IS NOT NULL)),
        CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL AND refund_entry_id IS NOT NULL))
      );
      CREATE INDEX shop_redemption_resident_idx ON shop_redemption (resident_id, redeemed_at DESC, id DESC);
      CREATE INDEX shop_redemption_branch_idx ON shop_redemption (branch_id, redeemed_at DESC, id DESC);
      CREATE INDEX shop_redemption_item_idx ON shop_redemption (item_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE shop_redemption;
      DROP TABLE shop_stock_receipt;
      DROP TABLE shop_item;
      DROP TABLE shop;
      DELETE FROM role_assignment WHERE role = 'SHOPKEEPER';
      ALTER TABLE role_assignment DROP CONSTRAINT role_assignment_role_check;
      ALTER TABLE role_assignment DROP CONSTRAINT role_assignment_check;
      ALTER TABLE role_assignment ADD CONSTRAINT role_assignment_role_check CHECK (role IN ('TOWNSHIP_ADMIN', 'BRANCH_MANAGER'));
      ALTER TABLE role_assignment ADD CONSTRAINT role_assignment_check CHECK ((role = 'BRANCH_MANAGER') = (branch_id IS NOT NULL));
    `);
  }
}
