import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { selectColumns } from '../database/select-columns';
import { RedemptionStatus, Shop, ShopItem, ShopRedemption, ShopStockReceipt, StockSource } from './shop.entity';

const SHOP_COLUMNS = selectColumns(Shop, 's');
const ITEM_COLUMNS = selectColumns(ShopItem, 'i');
const RECEIPT_COLUMNS = `${selectColumns(ShopStockReceipt, 'r')}, i.name AS "itemName"`;
const REDEMPTION_COLUMNS = `${selectColumns(ShopRedemption, 'x')}, i.name AS "itemName", i.unit AS "itemUnit",
  x.quantity * x.unit_points AS "totalPoints", NULL::text AS "residentName"`;

/** A branch's shop figures for a month, for the public statement. */
export interface ShopMonthFigures {
  /** Donations received in the month, in the order received; donor names as recorded (the statement masks persons). */
  donations: { date: string; donorKind: string; donorName: string; item: string; unit: string; quantity: number; points: number }[];
  /** Per item: units redeemed in the month net of cancellations booked in it, their points, and the stock at the month's end. */
  goods: { item: string; unit: string; redeemed: number; points: number; stockLeft: number }[];
}

/** Every statement on the shop's tables (`shop`, `shop_item`, `shop_stock_receipt`, `shop_redemption`). */
@Injectable()
export class ShopRepository {
  constructor(private readonly dataSource: DataSource) {}

  // ---- the shop and its items ---------------------------------------------------------

  async shop(m: EntityManager, branchId: string): Promise<Shop | undefined> {
    const [row] = await m.query(`SELECT ${SHOP_COLUMNS} FROM shop s WHERE s.branch_id = $1`, [branchId]);
    return row;
  }

  async upsertShop(m: EntityManager, shop: Shop): Promise<Shop> {
    const [row] = await m.query(
      `INSERT INTO shop AS s (branch_id, township_id, pickup_weekdays, opens_at, closes_at, place, note, pickup_days)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (branch_id) DO UPDATE SET pickup_weekdays = EXCLUDED.pickup_weekdays, opens_at = EXCLUDED.opens_at,
         closes_at = EXCLUDED.closes_at, place = EXCLUDED.place, note = EXCLUDED.note, pickup_days = EXCLUDED.pickup_days, updated_at = now()
       RETURNING ${SHOP_COLUMNS}`,
      [shop.branchId, shop.townshipId, shop.pickupWeekdays, shop.opensAt, shop.closesAt, shop.place, shop.note, shop.pickupDays],
    );
    return row;
  }

  async item(m: EntityManager, id: string, lock: '' | 'FOR UPDATE' = ''): Promise<ShopItem | undefined> {
    const [row] = await m.query(`SELECT ${ITEM_COLUMNS} FROM shop_item i WHERE i.id = $1 ${lock}`, [id]);
    return row;
  }

  /** A new item, or undefined when the branch already has one of that name. */
  async insertItem(
    m: EntityManager,
    v: { townshipId: string; branchId: string; name: string; description: string; unit: string; pricePoints: number; createdBy: string; at?: Date },
  ): Promise<ShopItem | undefined> {
    const [row] = await m.query(
      `INSERT INTO shop_item AS i (township_id, branch_id, name, description, unit, price_points, created_by, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8::timestamptz, now()), coalesce($8::timestamptz, now()))
       ON CONFLICT (branch_id, name) DO NOTHING RETURNING ${ITEM_COLUMNS}`,
      [v.townshipId, v.branchId, v.name, v.description, v.unit, v.pricePoints, v.createdBy, v.at ?? null],
    );
    return row;
  }

  /** Undefined when another item of the branch has the new name. */
  async updateItem(m: EntityManager, v: Pick<ShopItem, 'id' | 'name' | 'description' | 'unit' | 'pricePoints' | 'active'>): Promise<ShopItem | undefined> {
    const [[row]] = await m.query(
      `UPDATE shop_item i SET name = $2, description = $3, unit = $4, price_points = $5, active = $6, updated_at = now()
       WHERE i.id = $1 AND NOT EXISTS (SELECT 1 FROM shop_item o WHERE o.branch_id = i.branch_id AND o.name = $2 AND o.id <> i.id)
       RETURNING ${ITEM_COLUMNS}`,
      [v.id, v.name, v.description, v.unit, v.pricePoints, v.active],
    );
    return row;
  }

  async items(m: EntityManager, branchId: string, includeInactive: boolean, after: string[] | undefined, limit: number): Promise<ShopItem[]> {
    return m.query(
      `SELECT ${ITEM_COLUMNS} FROM shop_item i
       WHERE i.branch_id = $1 AND ($2 OR i.active) AND ($3::text IS NULL OR (i.name, i.id) > ($3::text, $4::uuid))
       ORDER BY i.name, i.id LIMIT $5`,
      [branchId, includeInactive, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
  }

  // ---- stock ----------------------------------------------------------------------------

  /**
   * Takes `quantity` units off the shelf if the item is active and has them: one
   * conditional UPDATE, so concurrent redemptions can never take more than there is (the
   * CHECK (stock >= 0) would refuse it anyway). Once the stock is gone it matches nothing
   * and locks nothing, so a storm of late redemptions never queues on the item's row.
   * Only at the price the caller charged; false when nothing was taken.
   */
  async takeStock(m: EntityManager, itemId: string, quantity: number, pricePoints: number): Promise<boolean> {
    const [, taken] = await m.query(
      `UPDATE shop_item SET stock = stock - $2 WHERE id = $1 AND active AND stock >= $2 AND price_points = $3`,
      [itemId, quantity, pricePoints],
    );
    return taken === 1;
  }

  async returnStock(m: EntityManager, itemId: string, quantity: number): Promise<void> {
    await m.query(`UPDATE shop_item SET stock = stock + $2, updated_at = now() WHERE id = $1`, [itemId, quantity]);
  }

  async insertReceipt(
    m: EntityManager,
    v: Omit<ShopStockReceipt, 'id' | 'receivedAt' | 'itemName'> & { recordedBy: string; at?: Date },
  ): Promise<ShopStockReceipt> {
    const [row] = await m.query(
      `WITH r AS (
         INSERT INTO shop_stock_receipt (township_id, branch_id, item_id, source, donor_kind, donor_name, quantity, unit_points, note, recorded_by, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11::timestamptz, now())) RETURNING *
       )
       SELECT ${RECEIPT_COLUMNS} FROM r JOIN shop_item i ON i.id = r.item_id`,
      [v.townshipId, v.branchId, v.itemId, v.source, v.donorKind, v.donorName, v.quantity, v.unitPoints, v.note, v.recordedBy, v.at ?? null],
    );
    await this.returnStock(m, v.itemId, v.quantity);
    return row;
  }

  async receipts(m: EntityManager, branchId: string, after: string[] | undefined, limit: number): Promise<ShopStockReceipt[]> {
    return m.query(
      `SELECT ${RECEIPT_COLUMNS} FROM shop_stock_receipt r JOIN shop_item i ON i.id = r.item_id
       WHERE r.branch_id = $1 AND ($2::timestamptz IS NULL OR (r.received_at, r.id) < ($2::timestamptz, $3::uuid))
       ORDER BY r.received_at DESC, r.id DESC LIMIT $4`,
      [branchId, after ? new Date(after[0]) : null, after?.[1] ?? null, limit],
    );
  }

  // ---- redemptions ------------------------------------------------------------------------

  /** The redemption, or undefined when its code is already taken in the branch (draw another). */
  async insertRedemption(
    m: EntityManager,
    v: Pick<ShopRedemption, 'id' | 'townshipId' | 'branchId' | 'itemId' | 'residentId' | 'quantity' | 'unitPoints' | 'code' | 'chargeEntryId' | 'pickupDeadline'> & {
      at?: Date;
    },
  ): Promise<ShopRedemption | undefined> {
    const [row] = await m.query(
      `WITH x AS (
         INSERT INTO shop_redemption (id, township_id, branch_id, item_id, resident_id, quantity, unit_points, code, charge_entry_id, pickup_deadline, redeemed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11::timestamptz, now())) ON CONFLICT (branch_id, code) DO NOTHING RETURNING *
       )
       SELECT ${REDEMPTION_COLUMNS} FROM x JOIN shop_item i ON i.id = x.item_id`,
      [v.id, v.townshipId, v.branchId, v.itemId, v.residentId, v.quantity, v.unitPoints, v.code, v.chargeEntryId, v.pickupDeadline, v.at ?? null],
    );
    return row;
  }

  async redemption(m: EntityManager, id: string, lock: '' | 'FOR UPDATE OF x' = ''): Promise<ShopRedemption | undefined> {
    const [row] = await m.query(`SELECT ${REDEMPTION_COLUMNS} FROM shop_redemption x JOIN shop_item i ON i.id = x.item_id WHERE x.id = $1 ${lock}`, [id]);
    return row;
  }

  async redemptionByCode(m: EntityManager, branchId: string, code: string): Promise<ShopRedemption | undefined> {
    const [row] = await m.query(
      `SELECT ${REDEMPTION_COLUMNS} FROM shop_redemption x JOIN shop_item i ON i.id = x.item_id WHERE x.branch_id = $1 AND x.code = $2`,
      [branchId, code],
    );
    return row;
  }

  /** Whether an open or past redemption of another branch of the township has this code (a resident at the wrong shop). */
  async codeInOtherBranch(m: EntityManager, townshipId: string, branchId: string, code: string): Promise<boolean> {
    const rows = await m.query(`SELECT 1 FROM shop_redemption WHERE township_id = $1 AND branch_id <> $2 AND code = $3 LIMIT 1`, [
      townshipId,
      branchId,
      code,
    ]);
    return rows.length > 0;
  }

  /** Marks a reserved redemption picked up: once only (a second confirmation, even concurrent, matches nothing). */
  async markPickedUp(m: EntityManager, branchId: string, code: string, by: string, at?: Date): Promise<ShopRedemption | undefined> {
    const [row] = await m.query(
      `WITH x AS (
         UPDATE shop_redemption SET status = 'PICKED_UP', picked_up_at = coalesce($4::timestamptz, now()), picked_up_by = $3
         WHERE branch_id = $1 AND code = $2 AND status = 'RESERVED' RETURNING *
       )
       SELECT ${REDEMPTION_COLUMNS} FROM x JOIN shop_item i ON i.id = x.item_id`,
      [branchId, code, by, at ?? null],
    );
    return row;
  }

  async markCancelled(m: EntityManager, id: string, refundEntryId: string, by: string, reason: string): Promise<ShopRedemption> {
    const [row] = await m.query(
      `WITH x AS (
         UPDATE shop_redemption SET status = 'CANCELLED', refund_entry_id = $2, cancelled_at = now(), cancelled_by = $3, cancel_reason = $4
         WHERE id = $1 AND status = 'RESERVED' RETURNING *
       )
       SELECT ${REDEMPTION_COLUMNS} FROM x JOIN shop_item i ON i.id = x.item_id`,
      [id, refundEntryId, by, reason],
    );
    return row;
  }

  async residentRedemptions(m: EntityManager, residentId: string, after: string[] | undefined, limit: number): Promise<ShopRedemption[]> {
    return m.query(
      `SELECT ${REDEMPTION_COLUMNS} FROM shop_redemption x JOIN shop_item i ON i.id = x.item_id
       WHERE x.resident_id = $1 AND ($2::timestamptz IS NULL OR (x.redeemed_at, x.id) < ($2::timestamptz, $3::uuid))
       ORDER BY x.redeemed_at DESC, x.id DESC LIMIT $4`,
      [residentId, after ? new Date(after[0]) : null, after?.[1] ?? null, limit],
    );
  }

  async branchRedemptions(
    m: EntityManager,
    branchId: string,
    status: RedemptionStatus | null,
    deadlineBefore: Date | null,
    after: string[] | undefined,
    limit: number,
  ): Promise<ShopRedemption[]> {
    return m.query(
      `SELECT ${REDEMPTION_COLUMNS} FROM shop_redemption x JOIN shop_item i ON i.id = x.item_id
       WHERE x.branch_id = $1 AND ($2::text IS NULL OR x.status = $2)
         AND ($6::timestamptz IS NULL OR x.pickup_deadline < $6)
         AND ($3::timestamptz IS NULL OR (x.redeemed_at, x.id) < ($3::timestamptz, $4::uuid))
       ORDER BY x.redeemed_at DESC, x.id DESC LIMIT $5`,
      [branchId, status, after ? new Date(after[0]) : null, after?.[1] ?? null, limit, deadlineBefore],
    );
  }

  // ---- the public statement -------------------------------------------------------------------

  /**
   * A branch's donations, redemptions and stock for the month [start, end). Units redeemed
   * count when charged and uncount when refunded, each in the month it was booked, like the
   * ledger's entries; the stock left is what receipts, redemptions and cancellations before
   * the month's end leave, so the figures of a past month never change.
   */
  async monthFigures(branchId: string, start: Date, end: Date): Promise<ShopMonthFigures> {
    const [donations, goods] = await Promise.all([
      this.dataSource.query(
        `SELECT to_char(r.received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS date, r.donor_kind AS "donorKind",
                r.donor_name AS "donorName", i.name AS item, i.unit, r.quantity, r.quantity * r.unit_points AS points
         FROM shop_stock_receipt r JOIN shop_item i ON i.id = r.item_id
         WHERE r.branch_id = $1 AND r.source = '${StockSource.DONATION}' AND r.received_at >= $2 AND r.received_at < $3
         ORDER BY r.received_at, r.id`,
        [branchId, start, end],
      ),
      this.dataSource.query(
        `WITH moves AS (
           SELECT item_id, quantity AS stock, 0 AS redeemed, 0 AS points, received_at AS at FROM shop_stock_receipt WHERE branch_id = $1
           UNION ALL
           SELECT item_id, -quantity, quantity, quantity * unit_points, redeemed_at FROM shop_redemption WHERE branch_id = $1
           UNION ALL
           SELECT item_id, quantity, -quantity, -quantity * unit_points, cancelled_at FROM shop_redemption WHERE branch_id = $1 AND status = 'CANCELLED'
         )
         SELECT i.name AS item, i.unit,
                coalesce(sum(mv.redeemed) FILTER (WHERE mv.at >= $2), 0) AS redeemed,
                coalesce(sum(mv.points) FILTER (WHERE mv.at >= $2), 0) AS points,
                coalesce(sum(mv.stock), 0) AS "stockLeft"
         FROM shop_item i LEFT JOIN moves mv ON mv.item_id = i.id AND mv.at < $3
         WHERE i.branch_id = $1 AND i.created_at < $3
         GROUP BY i.id, i.name, i.unit
         HAVING coalesce(sum(mv.stock), 0) <> 0 OR coalesce(sum(mv.redeemed) FILTER (WHERE mv.at >= $2), 0) <> 0
         ORDER BY i.name`,
        [branchId, start, end],
      ),
    ]);
    return {
      donations: donations.map((d: Record<string, string>) => ({ ...d, quantity: Number(d.quantity), points: Number(d.points) })),
      goods: goods.map((g: Record<string, string>) => ({ item: g.item, unit: g.unit, redeemed: Number(g.redeemed), points: Number(g.points), stockLeft: Number(g.stockLeft) })),
    };
  }
}
