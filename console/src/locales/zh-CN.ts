// 简体中文（默认语言）。键与 en.ts 相同：类型即 en 的类型。
import type { en } from './en';

export const zhCN: typeof en = {
  common: {
    skip: '跳到正文', language: '语言', loading: '加载中…', save: '保存', cancel: '取消',
    csv: '下载 CSV', csvOf: '将{{what}}下载为 CSV', none: '无', yes: '是', no: '否', newTab: '在新标签页打开',
  },
  nav: { label: '主导航', journeys: '旅程', customers: '客户', reports: '报表', settings: '设置' },
  signIn: {
    title: '登录', intro: '控制台使用管理员 API 密钥访问 Closedloop API。密钥只保存在本标签页（会话存储）中，以 Bearer 令牌发送。',
    keyLabel: '管理员 API 密钥', hint: '写入密钥（只能发送事件）无法打开控制台。', submit: '登录', signOut: '退出登录',
    notAdmin: '此密钥无法打开控制台：缺少权限“{{scope}}”。请使用管理员密钥登录（写入密钥只能发送事件）。',
    unknownKey: 'API 不认识此密钥，请检查后重试。',
  },
  errors: {
    unexpected: '出错了：{{message}}', forbidden: '您的密钥缺少此处所需的权限“{{scope}}”，请使用管理员密钥登录。',
    invalidKey: '您的密钥已失效，请退出后重新登录。', notFound: '未找到。', rateLimited: '此密钥请求过多，请稍等一分钟再试。',
    network: '无法连接 API，它在运行吗？', server: 'API 无法应答：{{message}}',
  },
  notFound: { title: '页面不存在' },
  settings: {
    title: '设置', temporalUi: 'Temporal UI 地址', temporalUiHint: '客户工作流链接指向的地址（默认 {{url}}），保存在本浏览器中。', saved: '已保存。',
  },
  range: { label: '日期范围', from: '开始', to: '结束', apply: '应用', presets: '快捷范围', lastDays: '最近 {{count}} 天' },
  status: { draft: '草稿', active: '进行中', paused: '已暂停', archived: '已归档' },
  journeys: {
    title: '旅程', statusFilter: '状态', all: '全部', name: '旅程', status: '状态', version: '版本',
    customersIn: '进入客户数', goalRate: '目标达成率', none: '还没有旅程。',
  },
  journey: {
    invalidTitle: '草稿无法发布', version: '版本', draft: '草稿（未发布）',
    graphHint: '步骤上的数字是所选范围内进入该步骤的客户数。滚动缩放、拖动平移，或使用按钮。',
    entered: '进入', exitedOnGoal: '达成目标离开', withinWindow: '{{window}}内转化', funnel: '漏斗', step: '步骤', type: '类型',
    exits: '按原因的退出', reason: '原因', customers: '客户数', variants: '各变体对比对照组', variant: '变体',
    converted: '转化', rate: '转化率', uplift: '提升', windowRate: '窗口内转化率', windowUplift: '窗口内提升', significant: '显著（p < 0.05）',
  },
  graph: {
    points: '积分', branches: '{{count}} 条分支', arms: '{{count}} 个变体', entered: '所选范围内进入此步骤的客户数',
    holdoutLeaves: '对照组：在此离开', otherwise: '否则', timeout: '超时', holdout: '对照组',
    a11y: '旅程中的一个步骤。按 Tab 键在步骤间移动。',
  },
  steps: {
    trigger: '触发', holdout: '对照组', wait: '等待', wait_until: '等到', wait_for_event: '等待事件', branch: '条件分支', split: 'A/B 分流',
    send: '发送', update_profile: '更新档案', exit: '退出', unknown: '—',
  },
  actions: {
    label: '旅程操作', publish: '发布', pause: '暂停', resume: '恢复', archive: '归档',
    invalid: '发布被拒绝：草稿中有 {{count}} 个问题，已标在对应步骤上。',
    onPause: '已在旅程中的客户', hold: '原地等待，直到恢复', exit: '离开旅程',
    done: { publish: '已发布。', pause: '已暂停。', resume: '已恢复。', archive: '已归档。' },
    confirm: { publish: '发布“{{name}}”？', pause: '暂停“{{name}}”？', resume: '恢复“{{name}}”？', archive: '归档“{{name}}”？' },
    explain: {
      publish: '草稿将成为新版本，此后进入的客户按新版本运行；已在旅程中的客户按原版本走完。',
      pause: '暂停期间不会有新客户进入。', resume: '客户重新开始进入；原地等待的客户从原处继续。',
      archive: '旅程将永久停止：不再有人进入，旅程中的客户离开。此操作无法撤销。',
    },
  },
  exitReasons: {
    completed: '走完全部步骤', goal: '达成目标', exit_criteria: '退出事件', holdout: '进入对照组', no_reaction: '未互动',
    paused: '旅程暂停', archived: '旅程归档', merged: '客户被合并', migrated: '迁移',
  },
  customers: {
    title: '客户', identity: '身份类型', value: '值', search: '查找', noMatch: '没有客户具有此身份。',
    hint: '手机号按 E.164（+86…）或 API 的规范化方式匹配；邮箱不区分大小写。',
    placeholder: { email: 'name@example.com', phone: '+8613800000000', userId: 'member-123', wechat_openid: 'o…', wechat_unionid: 'u…', anonymousId: '匿名 ID' },
  },
  identities: { email: '邮箱', phone: '手机号', userId: '用户 ID', wechat_openid: '微信 openid', wechat_unionid: '微信 unionid', anonymousId: '匿名 ID', member_id: '会员号' },
  customer: {
    title: '客户 {{id}}', workflow: '工作流', openInTemporal: '在 Temporal UI 中打开', stage: '生命周期阶段', noProfile: '还没有档案：工作流尚未保存。',
    journeys: '当前所在旅程', inNoJourney: '当前不在任何旅程中。', journey: '旅程', since: '进入此步骤时间', nextWake: '下次唤醒', waitingForEvent: '等待事件',
    profile: '档案', tier: '等级', points: '积分', orders: '订单数', spend: '消费额', events: '事件数', firstSeen: '首次出现', lastSeen: '最近出现',
    scores: '价值评分', noScores: '还没有评分。', tags: '标签', consent: '渠道许可', optedIn: '已同意', optedOut: '已拒绝', noConsent: '没有渠道许可记录。',
    subscriptions: '订阅组', subscribed: '已订阅', notSubscribed: '未订阅', byDefault: '默认',
    identities: '身份', merges: '合并', mergedInto: '已合并到', mergedFrom: '合并自',
  },
  workflowStatus: { running: '运行中', completed: '已完成', terminated: '已终止', failed: '失败', canceled: '已取消', continued_as_new: '已续新', timed_out: '超时', none: '无', unavailable: '不可用' },
  stages: { stranger: '陌生人', fan: '粉丝', member: '会员', customer: '顾客', loyal: '忠诚顾客', at_risk: '流失风险' },
  scores: { r: '最近消费', f: '消费频次', m: '消费金额', value: '价值', attrition: '流失风险', potential: '潜力' },
  channels: { email: '邮件', sms: '短信', wechat: '微信', push: '推送', webhook: 'Webhook' },
  timeline: {
    title: '时间线', when: '时间', what: '内容', detail: '详情', status: '状态', event: '事件', message: '消息',
    setAside: '已搁置：{{reason}}', applied: '已应用', transactional: '事务性', empty: '暂无记录。', older: '显示更早的',
  },
  messageStatus: { queued: '排队中', sent: '已发送', delivered: '已送达', opened: '已打开', clicked: '已点击', failed: '失败', bounced: '退信', suppressed: '已拦截', unknown: '结果未知' },
  reasons: {
    no_consent: '（无许可）', frequency_cap: '（频次上限）', quiet_hours_expired: '（免打扰时段内过期）', no_reaction: '（未对上一条消息互动）',
    journey_paused: '（旅程暂停）', holdout: '（对照组）', hard_opt_out: '（已永久退订）', unsubscribed_group: '（已退出订阅组）',
    no_address: '（无地址）', template_missing: '（模板缺失）', template_error: '（模板错误）', outcome_unknown: '（结果未知）',
  },
  reports: {
    title: '报表', channels: '渠道', model: '归因模型', lifecycle: '生命周期', converted: '转化数', revenue: '收入',
    unattributed: '未归因：{{conversions}} 次转化，收入 {{revenue}}', noChannels: '此范围内没有消息或转化。',
    channelsChart: '各渠道的转化数与收入', channel: '渠道', reached: '触达', sent: '发送', delivered: '送达', opened: '打开',
    clicked: '点击', conversionRate: '转化率', cost: '成本', costPerConversion: '单次转化成本', customers: '客户数',
    stages: '各阶段客户数', stagesChart: '当前各生命周期阶段的客户数', moves: '阶段间流转', movesChart: '所选范围内生命周期阶段间的流转',
    noMoves: '此范围内没有阶段变化。',
  },
  models: { first_touch: '首次触点', last_touch: '末次触点', linear: '线性', time_decay: '时间衰减', position_based: '位置加权' },
};
