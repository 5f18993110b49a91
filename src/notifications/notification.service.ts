import { Injectable } from '@nestjs/common';
import { Principal } from '../auth/principal';
import { DomainError, notFound } from '../common/errors/domain.error';
import { Keyset, keysetPage, Page } from '../common/pagination/connection';
import { AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction.runner';
import { Notification, NotificationPageArgs, NotificationSettings } from './dto/notification.models';
import { KIND_LABELS, NOTIFICATION_KINDS, NotificationKind } from './notification.kinds';
import { InboxRow, NotificationRepository } from './notification.repository';
import { NotificationDelivery } from './notification-delivery.service';

const NEWEST_FIRST: Keyset<InboxRow> = { shape: ['serial'], of: (row) => [row.id] };
const NOTIFICATION_ID = /^\d{1,18}$/;

/** The inbox and the settings: everyone reads and changes only their own. */
@Injectable()
export class NotificationService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly repository: NotificationRepository,
    private readonly delivery: NotificationDelivery,
    private readonly config: AppConfig,
  ) {}

  async inbox(actor: Principal, page: NotificationPageArgs): Promise<Page<Notification>> {
    return keysetPage(
      page,
      NEWEST_FIRST,
      (after, limit) => this.tx.read((m) => this.repository.inbox(m, actor.personId, page.unreadOnly, after?.[0] ?? null, limit)),
      toNotification,
    );
  }

  async unreadCount(personId: string): Promise<number> {
    return this.tx.read((m) => this.repository.unreadCount(m, personId));
  }

  async markRead(actor: Principal, id: string): Promise<Notification> {
    if (!NOTIFICATION_ID.test(id)) throw new DomainError('BAD_USER_INPUT', '输入有误：编号格式不正确', { field: 'id' });
    const row = await this.tx.read((m) => this.repository.markRead(m, actor.personId, id));
    if (!row) throw notFound('该消息');
    return toNotification(row);
  }

  async markAllRead(actor: Principal): Promise<number> {
    return this.tx.read((m) => this.repository.markAllRead(m, actor.personId));
  }

  async settings(actor: Principal): Promise<NotificationSettings> {
    const setting = await this.tx.read((m) => this.repository.setting(m, actor.personId));
    return {
      quietHours: this.config.NOTIFY_QUIET_HOURS,
      kinds: NOTIFICATION_KINDS.map((kind) => ({
        kind,
        label: KIND_LABELS[kind],
        enabled: !setting.mutedKinds.includes(kind),
        // Offered only when WeChat messages can go out (the mini-program is configured).
        wechatTemplateId: (this.config.WECHAT_APPID && this.delivery.templateOf(kind)) || null,
        wechatAccepted: setting.wechatKinds.includes(kind),
      })),
    };
  }

  async setPreference(actor: Principal, kind: NotificationKind, enabled: boolean): Promise<NotificationSettings> {
    await this.tx.run((m) => this.repository.setMuted(m, townshipOf(actor), actor.personId, kind, !enabled));
    return this.settings(actor);
  }

  /**
   * Records the templates the person accepted in the mini-program (the ids
   * wx.requestSubscribeMessage answered 'accept' for). Unknown ids are BAD_USER_INPUT.
   */
  async acceptWechatTemplates(actor: Principal, templateIds: string[]): Promise<NotificationSettings> {
    const kinds = [...new Set(templateIds)].flatMap((id) => {
      const kinds = this.delivery.kindsOfTemplate(id);
      if (!kinds.length) throw new DomainError('BAD_USER_INPUT', '输入有误：未知的订阅消息模板', { field: 'templateIds' });
      return kinds;
    });
    if (kinds.length) await this.tx.run((m) => this.repository.acceptWechat(m, townshipOf(actor), actor.personId, kinds));
    return this.settings(actor);
  }
}

/** A person record belongs to one township: the one any of their roles is in. */
function townshipOf(actor: Principal): string {
  const townshipId = actor.resident?.townshipId ?? actor.adminOf[0] ?? actor.managerOf[0]?.townshipId;
  if (!townshipId) throw new DomainError('FORBIDDEN');
  return townshipId;
}

function toNotification(row: InboxRow): Notification {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    body: row.body,
    createdAt: row.createdAt,
    readAt: row.readAt,
    activityId: row.data?.activityId ?? null,
    courseId: row.data?.courseId ?? null,
    month: row.data?.month ?? null,
    points: row.data?.points ?? null,
  };
}
