import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Capability, requireCapability, requireResident, Scope } from '../auth/access-policy';
import { Principal } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { DomainError, notFound } from '../common/errors/domain.error';
import { atCurrentPrice, PriceChanged } from '../common/price-changed';
import { byNameThenId, byTimeThenId, keysetPage, Page, PageArgs } from '../common/pagination/connection';
import { Clock } from '../common/time/clock';
import { TransactionRunner } from '../database/transaction.runner';
import { LedgerService } from '../ledger/ledger.service';
import { AccountKind, EntryKind } from '../ledger/ledger.types';
import { OrganisationRepository } from '../organisation/organisation.repository';
import { OrganisationService } from '../organisation/organisation.service';
import {
  CancelShopRedemptionInput,
  ConfirmPickupInput,
  CreateShopItemInput,
  RecordStockReceiptInput,
  RedeemShopItemInput,
  ShopItemsArgs,
  ShopRedemptionsArgs,
  UpdateShopInput,
  UpdateShopItemInput,
} from './dto/shop.inputs';
import { newPickupCode, normalisePickupCode } from './pickup-code';
import { currentOrNextPickup, describePickupWindow, isPickupOpen } from './pickup-schedule';
import { RedemptionStatus, Shop, ShopItem, ShopRedemption, ShopStockReceipt, StockSource } from './shop.entity';
import { ShopRepository } from './shop.repository';

/** The ledger's reference type of a redemption's charge (its reversal is the refund). */
export const SHOP_REDEMPTION_REFERENCE = 'SHOP_REDEMPTION';
const DAY_MS = 86_400_000;
const DEFAULT_PICKUP_DAYS = 14;

/**
 * The points shop (积分超市). A redemption takes stock (a conditional UPDATE, like course
 * seats) and charges the points (a SPEND from the resident to the branch's redemption
 * account under `shop-redemption:<id>`) in one transaction: no stock, no charge; no
 * points, no stock. The resident gets a pickup code; a shopkeeper confirms it once.
 * Until then the resident may cancel, and after the pickup deadline the branch's managers
 * may: the charge is reversed and the stock returned. Goods are handed over on the shop's
 * pickup days and hours only. Rows are stamped by the database's clock, except while the
 * demo seed writes last month's history (`Clock.bookingTime`), so that the shop's figures
 * fall in the same month as its ledger entries.
 */
@Injectable()
export class ShopService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly repository: ShopRepository,
    private readonly ledger: LedgerService,
    private readonly organisation: OrganisationService,
    private readonly people: OrganisationRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  // ---- the shop and its catalogue (managers) ----------------------------------------------

  /** The branch's shop; a branch that never set it up has an empty schedule and the default pickup period. */
  async shop(actor: Principal, branchId: string): Promise<Shop> {
    const scope = await this.organisation.scopeOfBranch(branchId);
    requireCapability(actor, Capability.READ, scope);
    const shop = await this.tx.read((m) => this.repository.shop(m, branchId));
    return this.withNextPickup(
      shop ?? { branchId, townshipId: scope.townshipId, pickupWeekdays: [], opensAt: null, closesAt: null, place: '', note: '', pickupDays: DEFAULT_PICKUP_DAYS },
    );
  }

  async updateShop(actor: Principal, input: UpdateShopInput): Promise<Shop> {
    const scope = await this.organisation.scopeOfBranch(input.branchId);
    requireCapability(actor, Capability.MANAGE, scope);
    if (input.opensAt && input.closesAt && input.opensAt >= input.closesAt) {
      throw new DomainError('BAD_USER_INPUT', '关门时间应晚于开门时间', { field: 'closesAt' });
    }
    const shop = await this.tx.run((m) =>
      this.repository.upsertShop(m, {
        branchId: input.branchId,
        townshipId: scope.townshipId,
        pickupWeekdays: [...input.pickupWeekdays].sort(),
        opensAt: input.opensAt ?? null,
        closesAt: input.closesAt ?? null,
        place: input.place,
        note: input.note,
        pickupDays: input.pickupDays,
      }),
    );
    return this.withNextPickup(shop);
  }

  async createItem(actor: Principal, input: CreateShopItemInput): Promise<ShopItem> {
    const scope = await this.organisation.scopeOfBranch(input.branchId);
    requireCapability(actor, Capability.MANAGE, scope);
    return this.tx.run(async (m) => {
      const item = await this.repository.insertItem(m, { ...input, townshipId: scope.townshipId, createdBy: actor.personId, at: this.clock.bookingTime() });
      if (!item) throw new DomainError('ALREADY_EXISTS', `本村（社区）积分超市已有“${input.name}”`);
      return item;
    });
  }

  async updateItem(actor: Principal, input: UpdateShopItemInput): Promise<ShopItem> {
    return this.tx.run(async (m) => {
      const current = await this.itemRow(m, input.id, 'FOR UPDATE');
      requireCapability(actor, Capability.MANAGE, current);
      const updated = await this.repository.updateItem(m, {
        id: input.id,
        name: input.name ?? current.name,
        description: input.description ?? current.description,
        unit: input.unit ?? current.unit,
        pricePoints: input.pricePoints ?? current.pricePoints,
        active: input.active ?? current.active,
      });
      if (!updated) throw new DomainError('ALREADY_EXISTS', `本村（社区）积分超市已有“${input.name}”`);
      return updated;
    });
  }

  /** Stock received: a donation with its donor and point value, or a purchase. */
  async recordReceipt(actor: Principal, input: RecordStockReceiptInput): Promise<ShopStockReceipt> {
    const donation = input.source === StockSource.DONATION;
    if (donation && (!input.donorKind || !input.donorName)) {
      throw new DomainError('BAD_USER_INPUT', '捐赠须填写捐赠方（个人或单位）及其名称', { field: input.donorKind ? 'donorName' : 'donorKind' });
    }
    if (!donation && (input.donorKind || input.donorName)) {
      throw new DomainError('BAD_USER_INPUT', '采购入库不填写捐赠方', { field: input.donorKind ? 'donorKind' : 'donorName' });
    }
    return this.tx.run(async (m) => {
      const item = await this.itemRow(m, input.itemId);
      requireCapability(actor, Capability.MANAGE, item);
      const receipt = await this.repository.insertReceipt(m, {
        townshipId: item.townshipId,
        branchId: item.branchId,
        itemId: item.id,
        source: input.source,
        donorKind: donation ? input.donorKind! : null,
        donorName: donation ? input.donorName! : null,
        quantity: input.quantity,
        unitPoints: input.unitPoints ?? item.pricePoints,
        note: input.note,
        recordedBy: actor.personId,
        at: this.clock.bookingTime(),
      });
      await this.audit.record(m, {
        townshipId: item.townshipId,
        actorId: actor.personId,
        action: 'shop.receipt',
        subject: receipt.id,
        details: { itemId: item.id, source: input.source, quantity: input.quantity, donor: receipt.donorName },
      });
      return receipt;
    });
  }

  // ---- reading --------------------------------------------------------------------------------

  /** The catalogue, by name: the township's people see the active items; its managers and shopkeepers may ask for all. */
  async items(actor: Principal, args: ShopItemsArgs, page: PageArgs): Promise<Page<ShopItem>> {
    const scope = await this.organisation.scopeOfBranch(args.branchId);
    requireCapability(actor, args.includeInactive ? Capability.KEEP_SHOP : Capability.READ, scope);
    return keysetPage(page, byNameThenId<ShopItem>(), (after, limit) =>
      this.tx.read((m) => this.repository.items(m, args.branchId, args.includeInactive, after, limit)),
    );
  }

  async item(actor: Principal, id: string): Promise<ShopItem> {
    const item = await this.tx.read((m) => this.itemRow(m, id));
    requireCapability(actor, Capability.READ, item);
    return item;
  }

  async receipts(actor: Principal, branchId: string, page: PageArgs): Promise<Page<ShopStockReceipt>> {
    const scope = await this.organisation.scopeOfBranch(branchId);
    requireCapability(actor, Capability.MANAGE, scope);
    return keysetPage(page, byTimeThenId<ShopStockReceipt>((r) => r.receivedAt), (after, limit) =>
      this.tx.read((m) => this.repository.receipts(m, branchId, after, limit)),
    );
  }

  /** The caller's redemptions, most recent first, with their codes. */
  async myRedemptions(actor: Principal, page: PageArgs): Promise<Page<ShopRedemption>> {
    const resident = requireResident(actor);
    return keysetPage(page, byTimeThenId<ShopRedemption>((x) => x.redeemedAt), (after, limit) =>
      this.tx.read(async (m) => this.people.attachResidentNames(m, await this.repository.residentRedemptions(m, resident.id, after, limit))),
    );
  }

  /** A branch's redemptions, most recent first (its shopkeepers and managers). */
  async branchRedemptions(actor: Principal, args: ShopRedemptionsArgs, page: PageArgs): Promise<Page<ShopRedemption>> {
    const scope = await this.organisation.scopeOfBranch(args.branchId);
    requireCapability(actor, Capability.KEEP_SHOP, scope);
    return keysetPage(page, byTimeThenId<ShopRedemption>((x) => x.redeemedAt), (after, limit) =>
      this.tx.read(async (m) =>
        this.people.attachResidentNames(
          m,
          args.overdue
            ? await this.repository.branchRedemptions(m, args.branchId, RedemptionStatus.RESERVED, this.clock.now(), after, limit)
            : await this.repository.branchRedemptions(m, args.branchId, args.status ?? null, null, after, limit),
        ),
      ),
    );
  }

  /** What a code is for, before handing the goods over (the shop's keepers). */
  async redemptionByCode(actor: Principal, input: ConfirmPickupInput): Promise<ShopRedemption> {
    const scope = await this.organisation.scopeOfBranch(input.branchId);
    requireCapability(actor, Capability.KEEP_SHOP, scope);
    return this.tx.read(async (m) => {
      const code = normalisePickupCode(input.code);
      const found = code ? await this.repository.redemptionByCode(m, input.branchId, code) : undefined;
      if (!found) throw await this.unknownCode(m, scope, code);
      return (await this.people.attachResidentNames(m, [found]))[0];
    });
  }

  // ---- redeeming, picking up, cancelling ----------------------------------------------------

  /** Takes the stock and charges the points, atomically, and gives the resident a pickup code. */
  /**
   * Charges the points and takes the stock in one transaction. The stock is taken last,
   * just before COMMIT: its UPDATE locks the item's row until the transaction ends and every
   * redemption of the item queues on that lock, so nothing else runs while it is held (as
   * a course seat, see CourseService.takeSeat). No stock rolls the charge back with it. The
   * stock is taken only at the price charged; a price changed in between runs it again.
   */
  async redeem(actor: Principal, input: RedeemShopItemInput): Promise<ShopRedemption> {
    return atCurrentPrice(() => this.redeemAtReadPrice(actor, input));
  }

  private async redeemAtReadPrice(actor: Principal, input: RedeemShopItemInput): Promise<ShopRedemption> {
    const resident = requireResident(actor);
    const id = randomUUID();
    const noStock = (item: ShopItem) => new DomainError(item.active ? 'OUT_OF_STOCK' : 'SHOP_ITEM_UNAVAILABLE', undefined, { stock: item.stock });
    const redemption = await this.tx.run(async (m) => {
      const item = await this.itemRow(m, input.itemId);
      requireCapability(actor, Capability.READ, item);
      if (resident.branchId !== item.branchId) throw new DomainError('FORBIDDEN', '只能兑换本村（社区）积分超市的商品');
      // Gone as last read: refused before charging anything.
      if (!item.active || item.stock < input.quantity) throw noStock(item);
      const total = item.pricePoints * input.quantity;
      const { resident: account, branch: redemptionAccount } = await this.ledger.residentAndBranchAccounts(
        m,
        resident.id,
        item.branchId,
        AccountKind.BRANCH_REDEMPTION,
      );
      const shop = await this.repository.shop(m, item.branchId);
      // The charge: INSUFFICIENT_POINTS from the database ends it here, before any stock.
      const charge = await this.ledger.post(m, {
        townshipId: item.townshipId,
        kind: EntryKind.SPEND,
        idempotencyKey: `shop-redemption:${id}`,
        reference: { type: SHOP_REDEMPTION_REFERENCE, id },
        memo: input.quantity > 1 ? `${item.name} ×${input.quantity}` : item.name,
        lines: [
          { accountId: account.id, amount: -total },
          { accountId: redemptionAccount.id, amount: total },
        ],
        createdBy: actor.personId,
        bookedAt: this.clock.bookingTime(),
      });
      const pickupDeadline = new Date(this.clock.now().getTime() + (shop?.pickupDays ?? DEFAULT_PICKUP_DAYS) * DAY_MS);
      // A fresh code until one is free in the branch (a clash is a one-in-billions event).
      let inserted: ShopRedemption | undefined;
      while (!inserted) {
        inserted = await this.repository.insertRedemption(m, {
          id,
          townshipId: item.townshipId,
          branchId: item.branchId,
          itemId: item.id,
          residentId: resident.id,
          quantity: input.quantity,
          unitPoints: item.pricePoints,
          code: newPickupCode(),
          chargeEntryId: charge.id,
          pickupDeadline,
          at: this.clock.bookingTime(),
        });
      }
      // The stock, last (see above). Once it is gone this matches nothing and locks nothing.
      if (!(await this.repository.takeStock(m, item.id, input.quantity, item.pricePoints))) {
        const current = await this.itemRow(m, item.id);
        if (!current.active || current.stock < input.quantity) throw noStock(current);
        throw new PriceChanged();
      }
      return inserted;
    });
    return this.named(redemption);
  }

  /** A shopkeeper hands the goods over for a code (核销): once only, and only at the shop it was redeemed at. */
  async confirmPickup(actor: Principal, input: ConfirmPickupInput): Promise<ShopRedemption> {
    const scope = await this.organisation.scopeOfBranch(input.branchId);
    requireCapability(actor, Capability.KEEP_SHOP, scope);
    const code = normalisePickupCode(input.code);
    const confirmed = await this.tx.run(async (m) => {
      await this.requirePickupOpen(m, input.branchId);
      const picked = code ? await this.repository.markPickedUp(m, input.branchId, code, actor.personId, this.clock.bookingTime()) : undefined;
      if (picked) {
        await this.audit.record(m, { townshipId: scope.townshipId, actorId: actor.personId, action: 'shop.pickup', subject: picked.id });
        return picked;
      }
      const existing = code ? await this.repository.redemptionByCode(m, input.branchId, code) : undefined;
      if (existing?.status === RedemptionStatus.PICKED_UP) {
        throw new DomainError('PICKUP_ALREADY_CONFIRMED', undefined, { pickedUpAt: existing.pickedUpAt });
      }
      if (existing?.status === RedemptionStatus.CANCELLED) throw new DomainError('REDEMPTION_CANCELLED');
      throw await this.unknownCode(m, scope, code);
    });
    return this.named(confirmed);
  }

  /**
   * Cancels a redemption that has not been picked up: the charge is reversed and the stock
   * returned. The resident may cancel their own at any time before pickup; the branch's
   * managers (and the township's admins) only once the pickup deadline has passed, so goods
   * a resident still means to fetch are not taken from them.
   */
  async cancel(actor: Principal, input: CancelShopRedemptionInput): Promise<ShopRedemption> {
    const cancelled = await this.tx.run(async (m) => {
      const redemption = await this.repository.redemption(m, input.id, 'FOR UPDATE OF x');
      if (!redemption) throw notFound('该兑换记录');
      const own = actor?.resident?.id === redemption.residentId;
      if (!own) {
        requireCapability(actor, Capability.MANAGE, redemption);
        if (redemption.status === RedemptionStatus.RESERVED && redemption.pickupDeadline.getTime() > this.clock.now().getTime()) {
          throw new DomainError('PICKUP_DEADLINE_NOT_PASSED', undefined, { pickupDeadline: redemption.pickupDeadline });
        }
      }
      if (redemption.status === RedemptionStatus.PICKED_UP) throw new DomainError('PICKUP_ALREADY_CONFIRMED');
      if (redemption.status === RedemptionStatus.CANCELLED) throw new DomainError('REDEMPTION_CANCELLED');
      const reason = input.reason ?? (own ? '本人取消兑换' : '超过领取期限未领取');
      const refund = await this.ledger.ensureReversed(m, {
        townshipId: redemption.townshipId,
        entryId: redemption.chargeEntryId,
        reason: `取消积分超市兑换，退还积分：${reason}`,
        createdBy: actor.personId,
      });
      await this.repository.returnStock(m, redemption.itemId, redemption.quantity);
      const row = await this.repository.markCancelled(m, redemption.id, refund.id, actor.personId, reason);
      if (!own) {
        await this.audit.record(m, { townshipId: redemption.townshipId, actorId: actor.personId, action: 'shop.cancel', subject: redemption.id, details: { reason } });
      }
      return row;
    });
    return this.named(cancelled);
  }

  // ---- helpers -----------------------------------------------------------------------------------

  /** Goods leave the shop on its pickup days and hours only (a shop with no days set is not restricted). */
  private async requirePickupOpen(m: EntityManager, branchId: string): Promise<void> {
    const shop = await this.repository.shop(m, branchId);
    const now = this.clock.now();
    if (!shop || isPickupOpen(shop, now)) return;
    const next = currentOrNextPickup(shop, now)!;
    throw new DomainError('NOT_A_PICKUP_DAY', `现在不是积分超市的领取时间，下次领取时间：${describePickupWindow(next)}`, {
      nextPickupOpensAt: next.opensAt,
      nextPickupClosesAt: next.closesAt,
    });
  }

  /** The shop with its current or next pickup window, reckoned by the service's clock. */
  private withNextPickup(shop: Shop): Shop {
    const next = currentOrNextPickup(shop, this.clock.now());
    return { ...shop, nextPickupOpensAt: next?.opensAt ?? null, nextPickupClosesAt: next?.closesAt ?? null };
  }

  private async unknownCode(m: EntityManager, scope: Scope, code: string | undefined): Promise<DomainError> {
    if (code && (await this.repository.codeInOtherBranch(m, scope.townshipId, scope.branchId!, code))) return new DomainError('PICKUP_CODE_OTHER_BRANCH');
    return new DomainError('PICKUP_CODE_INVALID');
  }

  private async itemRow(m: EntityManager, id: string, lock: '' | 'FOR UPDATE' = ''): Promise<ShopItem> {
    const item = await this.repository.item(m, id, lock);
    if (!item) throw notFound('该商品');
    return item;
  }

  /** The redemption a command wrote, with the resident's name: read after commit, so no lock waits on it. */
  private async named(redemption: ShopRedemption): Promise<ShopRedemption> {
    const [row] = await this.tx.read((m) => this.people.attachResidentNames(m, [redemption]));
    return row;
  }
}

