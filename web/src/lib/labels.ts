/** Chinese words for the API's enums. */
export const ACTIVITY_STATUS: Record<string, string> = { DRAFT: '草稿', PUBLISHED: '已发布', CANCELLED: '已取消', COMPLETED: '已结束' };
export const SIGNUP_STATUS: Record<string, string> = { CONFIRMED: '已确认', WAITLISTED: '候补', CANCELLED: '已取消', ACTIVITY_CANCELLED: '活动取消' };
export const ENROLMENT_STATUS: Record<string, string> = { ENROLLED: '已报名', CANCELLED: '已取消', COURSE_CANCELLED: '课程取消' };
export const COURSE_STATUS: Record<string, string> = { OPEN: '报名中', CANCELLED: '已取消' };
export const ACCOUNT_KIND: Record<string, string> = {
  RESIDENT: '居民账户',
  BRANCH_ISSUANCE: '分行发放',
  BRANCH_REDEMPTION: '分行兑换',
  TOWNSHIP_ADJUSTMENT: '总行调整',
  TOWNSHIP_EXPIRY: '总行过期',
};
export const ENTRY_KIND: Record<string, string> = { MINT: '活动积分', SPEND: '课程消费', REVERSAL: '冲正', ADJUSTMENT: '调整', EXPIRY: '积分到期' };
export const ENTRY_PROBLEM: Record<string, string> = {
  CONTENT_CHANGED: '内容与记账时不符',
  CHANGED_AFTER_SEAL: '封存后被改动',
  MISSING_FROM_SEAL: '封存后被删除',
  ADDED_AFTER_SEAL: '封存后被插入',
  ORPHAN_POSTINGS: '分录没有所属记账',
};
/** A failed settlement's `errorCode`, as the admin reads it next to the reason. */
export const SETTLEMENT_ERROR: Record<string, string> = {
  LEDGER_SEAL_BROKEN: '已封存的账目被改动：请勿再结算，联系技术人员从备份恢复并核查',
  RECONCILIATION_FAILED: '对账不符：账户余额或记账与分录不一致',
  SETTLEMENT_FAILED: '结算步骤出错：可重新结算',
};
