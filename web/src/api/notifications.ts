import { reactive } from 'vue';
import { graphql } from '../gql';
import { request } from './client';

export const UnreadNotificationsQuery = graphql(`
  query UnreadNotifications {
    me { unreadNotifications }
  }
`);

export const NotificationsQuery = graphql(`
  query Notifications($first: Int, $after: String) {
    notifications(first: $first, after: $after) {
      edges { node { id kind title body createdAt readAt activityId courseId month points } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const MarkNotificationReadMutation = graphql(`
  mutation MarkNotificationRead($id: ID!) {
    markNotificationRead(id: $id) { id readAt }
  }
`);

export const MarkAllNotificationsReadMutation = graphql(`
  mutation MarkAllNotificationsRead {
    markAllNotificationsRead
  }
`);

export const NotificationSettingsQuery = graphql(`
  query NotificationSettings {
    notificationSettings { quietHours kinds { kind label enabled wechatTemplateId wechatAccepted } }
  }
`);

export const SetNotificationPreferenceMutation = graphql(`
  mutation SetNotificationPreference($kind: NotificationKind!, $enabled: Boolean!) {
    setNotificationPreference(kind: $kind, enabled: $enabled) { quietHours kinds { kind label enabled wechatTemplateId wechatAccepted } }
  }
`);

/** The unread badge in the shell, shared by every screen that changes it. */
export const badge = reactive({ unread: 0 });

export async function refreshUnread(): Promise<void> {
  try {
    badge.unread = (await request(UnreadNotificationsQuery)).me.unreadNotifications;
  } catch {
    // The badge is a hint: a failed refresh keeps the last count.
  }
}
