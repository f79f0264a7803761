// The skincare brand of the product brief as journeys and templates: seeded by `npm start` and
// run end to end (with time skipping) by test/workflows/reference-journey.test.ts.
// Tiers come from the default lifecycle rules: bronze from the first purchase, silver at 1,500
// lifetime spend, gold at 4,000; one point per unit spent.

export const templates = [
  { id: 'sample-invite', channel: 'wechat', body: 'Hi {{ profile.traits.name | default: "there" }}, thanks for following! Book a free sample of our essential oils at your nearest store: https://brand.example/samples' },
  { id: 'spa-voucher', channel: 'wechat', body: 'Lovely to see you at the store. Here is a spa voucher, valid 30 days: https://brand.example/spa' },
  { id: 'sample-reminder', channel: 'sms', body: 'Your free sample is still waiting for you: https://brand.example/samples' },
  { id: 'welcome-bronze', channel: 'sms', body: 'Welcome to the club, {{ profile.traits.name | default: "friend" }}: you are a bronze member with {{ profile.points }} points.' },
  { id: 'gift-set', channel: 'sms', body: 'The {{ event.product | default: "essential oil" }} gift set is out, with a free mini cleanser: https://marketplace.example/gift-set' },
  { id: 'welcome-back', channel: 'sms', body: 'Welcome back: 50 off any order of 500 or more, this month only. Conditions: one use, not with other offers. https://brand.example/back' },
  { id: 'redeem-points', channel: 'sms', body: 'You have {{ profile.points }} points to redeem. Spend {{ 4000 | minus: profile.counters.spend }} more to become gold.' },
] as const;

export const journeys = [
  {
    id: 'fan-welcome',
    name: 'New fan: sample invitation',
    trigger: { type: 'event', event: 'Followed' },
    entry: 'settle',
    steps: {
      settle: { type: 'wait', duration: '1 hour', next: 'invite' },
      invite: { type: 'send', channel: 'wechat', template: 'sample-invite', next: 'visit' },
      visit: { type: 'wait_for_event', event: 'Store Visited', timeout: '7 days', onEvent: 'voucher', onTimeout: 'remind' },
      voucher: { type: 'send', channel: 'wechat', template: 'spa-voucher', next: 'done' },
      // No reaction, no reminder: only those who opened the invitation hear from us again.
      remind: { type: 'send', channel: 'sms', template: 'sample-reminder', onlyIfEngagedWith: 'invite', next: 'done' },
      done: { type: 'exit' },
    },
    goal: { event: 'Order Completed' },
    exitOn: [{ event: 'Unsubscribed' }],
    reentry: { mode: 'never' },
    onPause: 'hold',
  },
  {
    id: 'bronze-welcome',
    name: 'First purchase: bronze welcome',
    trigger: { type: 'tier', to: 'bronze' },
    entry: 'welcome',
    steps: {
      welcome: { type: 'send', channel: 'sms', template: 'welcome-bronze', priority: 'transactional', next: 'done' },
      done: { type: 'exit' },
    },
    reentry: { mode: 'never' },
    onPause: 'exit',
  },
  {
    id: 'oil-cross-sell',
    name: 'Cross-sell: gift set a month after an essential oil',
    trigger: { type: 'event', event: 'Order Completed', where: [{ field: 'product', op: 'eq', value: 'essential oil' }] },
    entry: 'month',
    steps: {
      month: { type: 'wait', duration: '30 days', next: 'offer' },
      offer: { type: 'send', channel: 'sms', template: 'gift-set', next: 'done' },
      done: { type: 'exit' },
    },
    goal: { event: 'Order Completed', where: [{ field: 'product', op: 'eq', value: 'gift set' }] },
    reentry: { mode: 'cooldown', cooldown: '180 days' },
    onPause: 'hold',
  },
  {
    id: 'win-back',
    name: 'Win-back after three months without a purchase',
    trigger: { type: 'inactivity', days: 90 },
    entry: 'coupon',
    steps: {
      coupon: { type: 'send', channel: 'sms', template: 'welcome-back', next: 'wait' },
      wait: { type: 'wait_for_event', event: 'Order Completed', timeout: '30 days', onEvent: 'done', onTimeout: 'done' },
      done: { type: 'exit' },
    },
    goal: { event: 'Order Completed' },
    reentry: { mode: 'cooldown', cooldown: '90 days' },
    onPause: 'hold',
  },
  {
    id: 'points-reminder',
    name: 'Silver: redeem your points, and how far gold is',
    trigger: { type: 'tier', to: 'silver' },
    entry: 'later',
    steps: {
      later: { type: 'wait', duration: '60 days', next: 'check' },
      check: { type: 'branch', branches: [{ when: [{ field: 'points', op: 'gte', value: 3000 }], next: 'remind' }], otherwise: 'done' },
      remind: { type: 'send', channel: 'sms', template: 'redeem-points', next: 'done' },
      done: { type: 'exit' },
    },
    exitOn: [{ event: 'Points Redeemed' }],
    reentry: { mode: 'never' },
    onPause: 'hold',
  },
] as const;
