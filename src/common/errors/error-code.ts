/**
 * Every error a client can see, with the message a resident reads. The code goes to
 * `extensions.code` and never changes once published; the message may be improved.
 */
export const ERROR_MESSAGES = {
  // Input and access
  BAD_USER_INPUT: '输入有误，请检查后重试',
  UNAUTHENTICATED: '请先登录',
  FORBIDDEN: '您没有权限执行此操作',
  NOT_FOUND: '未找到相关记录',
  RATE_LIMITED: '操作过于频繁，请稍后再试',
  QUERY_TOO_COMPLEX: '查询过于复杂，请缩小查询范围',
  INTERNAL_SERVER_ERROR: '服务器开小差了，请稍后再试',
  TEMPORARILY_UNAVAILABLE: '服务暂时繁忙，请稍后重试',
  // Login
  WECHAT_LOGIN_FAILED: '微信登录失败，请重新进入小程序再试',
  WECHAT_UNAVAILABLE: '微信服务暂时不可用，请稍后再试',
  WECHAT_NOT_BOUND: '该微信尚未绑定居民身份，请先验证手机号',
  WECHAT_ALREADY_BOUND: '该账号已绑定其他微信',
  BINDING_EXPIRED: '绑定已过期，请重新登录',
  MOBILE_NOT_REGISTERED: '该手机号尚未登记为居民，请联系所在村（社区）分行登记',
  DEV_LOGIN_DISABLED: '开发登录未开启',
  // Organisation
  ALREADY_EXISTS: '该记录已存在',
  MOBILE_TAKEN: '该手机号已登记在其他村（社区）',
  // Ledger
  INSUFFICIENT_POINTS: '积分不足',
  PERIOD_CLOSED: '该月份已结账，不能再记账',
  IDEMPOTENCY_CONFLICT: '该业务编号已用于另一笔不同的记账',
  ALREADY_REVERSED: '该笔记账已冲正，不能重复冲正',
  NOT_REVERSIBLE: '冲正记录不能再次冲正',
  UNKNOWN_ACCOUNT: '积分账户不存在',
  LEDGER_INVARIANT_VIOLATED: '账务校验失败，操作已取消',
  // Themes and settlement
  THEME_NOT_PUBLISHED: '该主题不在本村（社区）当月已发布的主题清单中',
  THEMES_ALREADY_PUBLISHED: '该月主题清单已发布，不能再修改',
  THEME_LIMIT_REACHED: '当月主题数量已达上限',
  MONTH_ALREADY_ENDED: '该月份已结束，不能再设置主题',
  MONTH_NOT_ENDED: '该月份尚未结束，暂不能结算',
  MONTH_NOT_SETTLED: '该月份尚未完成结算',
} as const;

export type ErrorCode = keyof typeof ERROR_MESSAGES;
