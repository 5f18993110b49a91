import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { HOME_OF, ensureRole } from './api/me';
import { type RoleKind, isSignedIn, rememberDestination, session } from './api/session';
import AppShell from './components/AppShell.vue';
// In the entry, not a chunk: it must show when nothing more can be fetched.
import OfflineView from './views/OfflineView.vue';

declare module 'vue-router' {
  interface RouteMeta {
    title?: string;
    role?: RoleKind;
    /** Shown without signing in. */
    public?: boolean;
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('./views/LoginView.vue'), meta: { public: true, title: '登录' } },
  { path: '/bind', component: () => import('./views/BindView.vue'), meta: { public: true, title: '绑定微信' } },
  { path: '/offline', component: OfflineView, meta: { public: true, title: '网络异常' } },
  {
    path: '/',
    component: AppShell,
    children: [
      { path: '', component: { render: () => null } },
      { path: 'me', component: () => import('./views/MeView.vue'), meta: { title: '我的' } },
      { path: 'inbox', component: () => import('./views/InboxView.vue'), meta: { title: '消息' } },
      { path: 'inbox/settings', component: () => import('./views/NotificationSettingsView.vue'), meta: { title: '消息通知设置' } },
      // 居民
      { path: 'r/home', component: () => import('./views/resident/ResidentHome.vue'), meta: { role: 'resident', title: '文明银行' } },
      { path: 'r/checkin', component: () => import('./views/resident/CheckInView.vue'), meta: { role: 'resident', title: '活动签到' } },
      { path: 'r/courses', component: () => import('./views/resident/CoursesView.vue'), meta: { role: 'resident', title: '体验课程' } },
      { path: 'r/family', component: () => import('./views/resident/FamilyView.vue'), meta: { role: 'resident', title: '我的家庭' } },
      { path: 'r/hours', component: () => import('./views/resident/HoursView.vue'), meta: { role: 'resident', title: '志愿时长与证明' } },
      { path: 'r/passbook', component: () => import('./views/resident/PassbookView.vue'), meta: { role: 'resident', title: '我的存折' } },
      { path: 'r/honours', component: () => import('./views/HonoursView.vue'), meta: { role: 'resident', title: '星级与文明之星' } },
      { path: 'r/shop', component: () => import('./views/resident/ShopView.vue'), meta: { role: 'resident', title: '积分超市' } },
      { path: 'r/shop/codes', component: () => import('./views/resident/ShopCodesView.vue'), meta: { role: 'resident', title: '我的兑换码' } },
      { path: 'r/deeds', component: () => import('./views/resident/DeedsView.vue'), meta: { role: 'resident', title: '好人好事' } },
      { path: 'r/deeds/new', component: () => import('./views/deeds/DeedReportForm.vue'), meta: { role: 'resident', title: '申报好人好事' } },
      // 分行行长
      { path: 'm/month', component: () => import('./views/manager/BranchMonth.vue'), meta: { role: 'manager', title: '本月概况' } },
      { path: 'm/activities', component: () => import('./views/manager/ActivityList.vue'), meta: { role: 'manager', title: '活动管理' } },
      { path: 'm/activities/new', component: () => import('./views/manager/ActivityForm.vue'), meta: { role: 'manager', title: '新建活动' } },
      { path: 'm/activities/:id', component: () => import('./views/manager/ActivityDetail.vue'), meta: { role: 'manager', title: '活动详情' } },
      { path: 'm/activities/:id/checkin', component: () => import('./views/manager/CheckinScreen.vue'), meta: { role: 'manager', title: '签到码' } },
      { path: 'm/courses', component: () => import('./views/manager/CourseList.vue'), meta: { role: 'manager', title: '课程管理' } },
      { path: 'm/courses/new', component: () => import('./views/manager/CourseForm.vue'), meta: { role: 'manager', title: '新建课程' } },
      { path: 'm/courses/:id', component: () => import('./views/manager/CourseDetail.vue'), meta: { role: 'manager', title: '课程报名' } },
      { path: 'm/residents', component: () => import('./views/manager/ResidentList.vue'), meta: { role: 'manager', title: '居民' } },
      { path: 'm/honours', component: () => import('./views/HonoursView.vue'), meta: { role: 'manager', title: '文明之星' } },
      { path: 'm/households', component: () => import('./views/manager/HouseholdList.vue'), meta: { role: 'manager', title: '家庭（户）' } },
      { path: 'm/shop', component: () => import('./views/manager/ShopManage.vue'), meta: { role: 'manager', title: '积分超市' } },
      // 超市管理员
      { path: 'k/pickup', component: () => import('./views/shopkeeper/PickupView.vue'), meta: { role: 'shopkeeper', title: '核销兑换码' } },
      { path: 'm/deeds', component: () => import('./views/manager/BranchDeedsView.vue'), meta: { role: 'manager', title: '好人好事' } },
      { path: 'm/deeds/new', component: () => import('./views/deeds/DeedReportForm.vue'), meta: { role: 'manager', title: '代居民申报' } },
      // 总行
      { path: 'a/themes', component: () => import('./views/admin/ThemesView.vue'), meta: { role: 'admin', title: '月度主题' } },
      { path: 'a/settlement', component: () => import('./views/admin/SettlementView.vue'), meta: { role: 'admin', title: '月度结算' } },
      { path: 'a/branches', component: () => import('./views/admin/BranchesView.vue'), meta: { role: 'admin', title: '分行与行长' } },
      { path: 'a/policy', component: () => import('./views/admin/PolicyView.vue'), meta: { role: 'admin', title: '积分与时长政策' } },
      { path: 'a/ledger', component: () => import('./views/admin/LedgerView.vue'), meta: { role: 'admin', title: '调账与冲正' } },
      { path: 'a/honours', component: () => import('./views/HonoursView.vue'), meta: { role: 'admin', title: '文明之星' } },
      { path: 'a/honours/settings', component: () => import('./views/admin/HonourSettingsView.vue'), meta: { role: 'admin', title: '星级设置' } },
      { path: 'a/deeds', component: () => import('./views/admin/DeedTableView.vue'), meta: { role: 'admin', title: '好人好事分值' } },
    ],
  },
  { path: '/:rest(.*)*', redirect: '/' },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!isSignedIn()) {
    if (to.fullPath !== '/') rememberDestination(to.fullPath);
    return '/login';
  }
  try {
    const role = await ensureRole(to.meta.role);
    if (!role) return to.path === '/me' ? true : '/me';
    if (to.path === '/' || (to.meta.role && to.meta.role !== role.kind)) return HOME_OF[role.kind];
  } catch {
    // Signed out by an expired token (App.vue offers to sign in), or offline.
    return session.token ? { path: '/offline', query: { from: to.fullPath } } : '/login';
  }
  return true;
});

// A screen's code that cannot be fetched (offline, or an old tab after a deploy): say so, offer a retry.
router.onError((_error, to) => {
  if (to.path !== '/offline') void router.replace({ path: '/offline', query: { from: to.fullPath } });
});
