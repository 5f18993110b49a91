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
  BINDING_CODE_INVALID: '手机号或绑定码不正确，或绑定码已过期：请向所在村（社区）分行索取新的绑定码',
  LOGIN_TICKET_INVALID: '登录链接无效、已使用或已过期：请让运维人员重新生成',
  // Organisation
  ALREADY_EXISTS: '该记录已存在',
  MOBILE_TAKEN: '该手机号已登记在本镇其他村（社区）',
  // Ledger
  INSUFFICIENT_POINTS: '积分不足',
  PERIOD_CLOSED: '该月份已结账，不能再记账',
  IDEMPOTENCY_CONFLICT: '该业务编号已用于另一笔不同的记账',
  ALREADY_REVERSED: '该笔记账已冲正，不能重复冲正',
  NOT_REVERSIBLE: '冲正记录不能再次冲正',
  ENTRY_BELONGS_TO_RECORD: '该笔记账属于课程报名或活动奖励，请通过对应业务办理',
  UNKNOWN_ACCOUNT: '积分账户不存在',
  LEDGER_INVARIANT_VIOLATED: '账务校验失败，操作已取消',
  LEDGER_SEAL_BROKEN: '账本封存校验失败：已封存月份的记账与封存时不符',
  RECONCILIATION_FAILED: '对账失败：账户余额或记账与分录不符',
  MONTH_NOT_SEALED: '该月份尚未结算封存',
  // Activities and courses
  ACTIVITY_NOT_EDITABLE: '活动已开始、已取消或已结束，不能再修改',
  ACTIVITY_NOT_PUBLISHED: '该活动尚未发布',
  ACTIVITY_CANCELLED: '该活动已取消',
  ACTIVITY_COMPLETED: '该活动已结束并发放积分，不能再更改出勤',
  ACTIVITY_NOT_STARTED: '活动尚未开始，不能结束活动',
  CAPACITY_BELOW_TAKEN: '名额不能少于已报名人数',
  ALREADY_SIGNED_UP: '您已报名该活动',
  SIGNUP_CLOSED: '报名已截止',
  SIGNUP_CANCEL_CLOSED: '活动已开始，不能取消报名',
  NOT_SIGNED_UP: '您没有该活动的确认报名（未报名、已取消或仍在候补）',
  ATTENDANCE_NOT_OPEN: '活动开始后才能登记出勤',
  CHECKIN_NOT_OPEN: '当前不在活动签到时间内',
  CHECKIN_CODE_INVALID: '签到码错误或已过期',
  CHECKIN_LOCKED: '签到码错误次数过多，请联系活动负责人登记出勤',
  NOT_CHECKED_IN: '尚未签到，不能签退',
  COURSE_NOT_EDITABLE: '课程已开始或已取消，不能再修改',
  COURSE_CANCELLED: '该课程已取消',
  COURSE_FULL: '课程名额已满',
  ENROL_CLOSED: '课程报名已截止',
  ALREADY_ENROLLED: '您已报名该课程',
  NOT_ENROLLED: '您没有该课程的有效报名',
  CANCEL_DEADLINE_PASSED: '已过取消截止时间，不能取消报名',
  // Themes and settlement
  THEME_NOT_PUBLISHED: '该主题不在本村（社区）当月已发布的主题清单中',
  THEMES_ALREADY_PUBLISHED: '该月主题清单已发布，不能再修改',
  THEME_LIMIT_REACHED: '当月主题数量已达上限',
  MONTH_ALREADY_ENDED: '该月份已结束，不能再设置主题',
  MONTH_NOT_ENDED: '该月份尚未结束，暂不能结算',
  MONTH_NOT_SETTLED: '该月份尚未完成结算',
  SETTLEMENT_FAILED: '结算未能完成，请稍后重新发起结算',
  // Service hours and certificates
  NO_SERVICE_HOURS: '暂无已完成的志愿服务时长记录，不能开具证明',
  CERTIFICATE_NOT_FOUND: '未找到该证明编号，请核对后重试',
} as const;

export type ErrorCode = keyof typeof ERROR_MESSAGES;
