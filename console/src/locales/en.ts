// English texts. zh-CN.ts has the same keys (its type is this object's).
export const en = {
  common: {
    skip: 'Skip to content', language: 'Language', loading: 'Loading…', save: 'Save', cancel: 'Cancel',
    csv: 'Download CSV', csvOf: 'Download {{what}} as CSV', none: 'None', yes: 'yes', no: 'no', newTab: 'opens in a new tab',
  },
  nav: { label: 'Main', journeys: 'Journeys', customers: 'Customers', reports: 'Reports', settings: 'Settings' },
  signIn: {
    title: 'Sign in', intro: 'The console talks to the Closedloop API with an admin API key, kept in this browser tab only (session storage) and sent as a bearer token.',
    keyLabel: 'Admin API key', hint: 'A write key (events only) cannot open the console.', submit: 'Sign in', signOut: 'Sign out',
    notAdmin: 'This key cannot open the console: it lacks the scope "{{scope}}". Sign in with an admin key (a write key may only send events).',
    unknownKey: 'The API does not know this key. Check it and try again.',
  },
  errors: {
    unexpected: 'Something went wrong: {{message}}', forbidden: 'Your key lacks the scope "{{scope}}" needed here. Sign in with an admin key.',
    invalidKey: 'Your key is no longer accepted. Sign out and sign in again.', notFound: 'Not found.', rateLimited: 'Too many requests with this key: wait a minute and try again.',
    network: 'The API cannot be reached. Is it running?', server: 'The API could not answer: {{message}}',
  },
  notFound: { title: 'No such page' },
  settings: {
    title: 'Settings', temporalUi: 'Temporal UI address', temporalUiHint: 'Where a customer\'s workflow link points (default {{url}}). Kept in this browser.', saved: 'Saved.',
  },
  range: { label: 'Date range', from: 'From', to: 'To', apply: 'Apply', presets: 'Quick ranges', lastDays: 'Last {{count}} days' },
  status: { draft: 'Draft', active: 'Active', paused: 'Paused', archived: 'Archived' },
  journeys: {
    title: 'Journeys', statusFilter: 'Status', all: 'All', name: 'Journey', status: 'Status', version: 'Version',
    customersIn: 'Customers in', goalRate: 'Goal rate', none: 'No journeys yet.',
  },
  journey: {
    invalidTitle: 'The draft cannot be published', version: 'Version', draft: 'Draft (unpublished)',
    graphHint: 'The number on a step is how many customers entered it in the range. Scroll to zoom, drag to pan, or use the buttons.',
    entered: 'Entered', exitedOnGoal: 'Left on the goal', withinWindow: 'Converted within {{window}}', funnel: 'Funnel', step: 'Step', type: 'Type',
    exits: 'Exits by reason', reason: 'Reason', customers: 'Customers', variants: 'Variants against the holdout', variant: 'Variant',
    converted: 'Converted', rate: 'Rate', uplift: 'Uplift', windowRate: 'Rate in window', windowUplift: 'Uplift in window', significant: 'Significant (p < 0.05)',
  },
  graph: {
    points: 'points', branches: '{{count}} ways', arms: '{{count}} arms', entered: 'customers who entered this step in the range',
    holdoutLeaves: 'control group: leaves here', otherwise: 'otherwise', timeout: 'after', holdout: 'Holdout',
    a11y: 'A step of the journey. Use Tab to move between steps.',
  },
  steps: {
    trigger: 'Trigger', holdout: 'Holdout', wait: 'Wait', wait_until: 'Wait until', wait_for_event: 'Wait for event', branch: 'Branch', split: 'A/B split',
    send: 'Send', update_profile: 'Update profile', exit: 'Exit', unknown: '—',
  },
  actions: {
    label: 'Journey actions', publish: 'Publish', pause: 'Pause', resume: 'Resume', archive: 'Archive',
    invalid: 'Publishing was refused: {{count}} problem(s) in the draft, shown on the steps they name.',
    onPause: 'Customers already inside', hold: 'hold their place until resumed', exit: 'leave the journey',
    done: { publish: 'Published.', pause: 'Paused.', resume: 'Resumed.', archive: 'Archived.' },
    confirm: { publish: 'Publish "{{name}}"?', pause: 'Pause "{{name}}"?', resume: 'Resume "{{name}}"?', archive: 'Archive "{{name}}"?' },
    explain: {
      publish: 'The draft becomes a new version; customers who enter from now on run it. Customers inside finish on their version.',
      pause: 'No new customers enter while paused.', resume: 'Customers enter again; those held continue where they were.',
      archive: 'The journey stops for good: no one enters, customers inside leave. This cannot be undone.',
    },
  },
  exitReasons: {
    completed: 'Reached the end', goal: 'Reached the goal', exit_criteria: 'Exit event', holdout: 'Held out (control)', no_reaction: 'No reaction',
    paused: 'Journey paused', archived: 'Journey archived', merged: 'Customer merged', migrated: 'Migrated',
  },
  customers: {
    title: 'Customers', identity: 'Identity', value: 'Value', search: 'Find', noMatch: 'No customer has that identity.',
    hint: 'Phone numbers are matched in E.164 (+86…) or as the API normalises them; e-mail addresses in any case.',
    placeholder: { email: 'name@example.com', phone: '+8613800000000', userId: 'member-123', wechat_openid: 'o…', wechat_unionid: 'u…', anonymousId: 'anonymous id' },
  },
  identities: { email: 'E-mail', phone: 'Phone', userId: 'User id', wechat_openid: 'WeChat openid', wechat_unionid: 'WeChat unionid', anonymousId: 'Anonymous id', member_id: 'Member id' },
  customer: {
    title: 'Customer {{id}}', workflow: 'Workflow', openInTemporal: 'Open in the Temporal UI', stage: 'Lifecycle stage', noProfile: 'No profile yet: the workflow has not stored one.',
    journeys: 'Journeys now', inNoJourney: 'In no journey now.', journey: 'Journey', since: 'At this step since', nextWake: 'Next wake-up', waitingForEvent: 'waiting for an event',
    profile: 'Profile', tier: 'Tier', points: 'Points', orders: 'Orders', spend: 'Spend', events: 'Events', firstSeen: 'First seen', lastSeen: 'Last seen',
    scores: 'Value scores', noScores: 'No scores yet.', tags: 'Tags', consent: 'Consent', optedIn: 'opted in', optedOut: 'opted out', noConsent: 'No channel consent recorded.',
    subscriptions: 'Subscription groups', subscribed: 'in', notSubscribed: 'out', byDefault: 'by default',
    identities: 'Identities', merges: 'Merges', mergedInto: 'Merged into', mergedFrom: 'Merged from',
  },
  workflowStatus: { running: 'running', completed: 'completed', terminated: 'terminated', failed: 'failed', canceled: 'canceled', continued_as_new: 'continued as new', timed_out: 'timed out', none: 'none', unavailable: 'unavailable' },
  stages: { stranger: 'Stranger', fan: 'Fan', member: 'Member', customer: 'Customer', loyal: 'Loyal', at_risk: 'At risk' },
  scores: { r: 'Recency', f: 'Frequency', m: 'Monetary', value: 'Value', attrition: 'Attrition risk', potential: 'Potential' },
  channels: { email: 'E-mail', sms: 'SMS', wechat: 'WeChat', push: 'Push', webhook: 'Webhook' },
  timeline: {
    title: 'Timeline', when: 'When', what: 'What', detail: 'Details', status: 'Status', event: 'Event', message: 'Message',
    setAside: 'set aside: {{reason}}', applied: 'applied', transactional: 'transactional', empty: 'Nothing yet.', older: 'Show older',
  },
  messageStatus: { queued: 'queued', sent: 'sent', delivered: 'delivered', opened: 'opened', clicked: 'clicked', failed: 'failed', bounced: 'bounced', suppressed: 'suppressed', unknown: 'unknown' },
  reasons: {
    no_consent: '(no consent)', frequency_cap: '(frequency cap)', quiet_hours_expired: '(quiet hours outlasted it)', no_reaction: '(no reaction to the last message)',
    journey_paused: '(journey paused)', holdout: '(holdout)', hard_opt_out: '(opted out for good)', unsubscribed_group: '(left the subscription group)',
    no_address: '(no address)', template_missing: '(template missing)', template_error: '(template error)', outcome_unknown: '(outcome unknown)',
  },
  reports: {
    title: 'Reports', channels: 'Channels', model: 'Attribution model', lifecycle: 'Lifecycle', converted: 'Conversions', revenue: 'Revenue',
    unattributed: 'Unattributed: {{conversions}} conversions, revenue {{revenue}}', noChannels: 'No messages or conversions in this range.',
    channelsChart: 'Conversions and revenue per channel', channel: 'Channel', reached: 'Reached', sent: 'Sent', delivered: 'Delivered', opened: 'Opened',
    clicked: 'Clicked', conversionRate: 'Conversion rate', cost: 'Cost', costPerConversion: 'Cost per conversion', customers: 'Customers',
    stages: 'Customers per stage', stagesChart: 'Customers at each lifecycle stage now', moves: 'Moves between stages', movesChart: 'Moves between lifecycle stages in the range',
    noMoves: 'No stage changes in this range.',
  },
  models: { first_touch: 'First touch', last_touch: 'Last touch', linear: 'Linear', time_decay: 'Time decay', position_based: 'Position based' },
};
