// Publish-time journey validation: each broken journey is rejected with the field naming the step.
import { describe, expect, it } from 'vitest';
import { validateJourney, type ValidationOptions } from '../../api/journeys/validate.js';
import type { JourneyDraft } from '../../api/journeys/schema.js';

const templates = new Set(['wechat:sample-invite', 'sms:sample-reminder', 'email:first-purchase-coupon', 'email:broken']);
const options: ValidationOptions = {
  now: new Date('2026-06-01T00:00:00Z'),
  templateExists: async (id, channel) => templates.has(`${channel}:${id}`),
  templateErrors: async (id) => (id === 'broken' ? [{ field: 'body', message: 'unknown filter "money"' }] : []),
};

/** Fan → sample invite → store visit or a reminder → an evening A/B test with a holdout → exit. */
const reference: JourneyDraft = {
  name: 'Fan to first purchase',
  trigger: { type: 'stage', to: 'fan' },
  entry: 'invite',
  steps: {
    invite: { type: 'send', channel: 'wechat', template: 'sample-invite', next: 'await_visit' },
    await_visit: { type: 'wait_for_event', event: 'Store Visited', timeout: '7 days', onEvent: 'thank', onTimeout: 'remind' },
    remind: { type: 'send', channel: 'sms', template: 'sample-reminder', onlyIfEngagedWith: 'invite', next: 'evening' },
    evening: { type: 'wait_until', time: '20:00', next: 'test' },
    test: { type: 'split', variants: [{ name: 'coupon', weight: 45, next: 'coupon' }, { name: 'points', weight: 45, next: 'bonus' }], holdout: 10 },
    coupon: { type: 'send', channel: 'email', template: 'first-purchase-coupon', priority: 'marketing', expiresAfter: '12 hours', next: 'done' },
    bonus: { type: 'update_profile', addTags: ['sample-bonus'], points: 50, traits: { sampled: true }, next: 'done' },
    thank: { type: 'branch', branches: [{ when: [{ field: 'tier', op: 'eq', value: 'gold' }], next: 'vip' }], otherwise: 'done' },
    // A loop through a wait is fine: gold customers are checked again daily.
    vip: { type: 'wait', duration: '1 day', next: 'thank' },
    done: { type: 'exit' },
  },
  goal: { event: 'Order Completed', where: [{ field: 'total', op: 'gte', value: 500 }] },
  exitOn: [{ event: 'Unsubscribed' }],
  reentry: { mode: 'cooldown', cooldown: '90 days' },
  onPause: 'hold',
};

/** The reference journey with one change. */
function broken(change: (d: JourneyDraft & { steps: Record<string, any> }) => void): JourneyDraft {
  const draft = structuredClone(reference);
  change(draft);
  return draft;
}
const problems = (draft: unknown) => validateJourney(draft, options);

describe('journey validation', () => {
  it('passes the reference journey', async () => {
    expect(await problems(reference)).toEqual([]);
  });

  describe('unknown step references', () => {
    it('names the next of a step', async () => {
      expect(await problems(broken((d) => { d.steps.remind.next = 'remnd'; }))).toEqual([{ field: 'steps.remind.next', message: 'unknown step "remnd"' }]);
    });
    it('names the entry', async () => {
      expect(await problems(broken((d) => { d.entry = 'start'; }))).toEqual([{ field: 'entry', message: 'unknown step "start"' }]);
    });
    it('names onEvent and onTimeout of a wait for an event', async () => {
      expect(await problems(broken((d) => { d.steps.await_visit.onEvent = 'thanks'; d.steps.await_visit.onTimeout = 'nudge'; }))).toEqual([
        { field: 'steps.await_visit.onEvent', message: 'unknown step "thanks"' },
        { field: 'steps.await_visit.onTimeout', message: 'unknown step "nudge"' },
      ]);
    });
    it('names a branch and the otherwise of a branch step', async () => {
      expect(await problems(broken((d) => { d.steps.thank.branches[0].next = 'vipp'; d.steps.thank.otherwise = 'end'; }))).toEqual([
        { field: 'steps.thank.branches.0.next', message: 'unknown step "vipp"' },
        { field: 'steps.thank.otherwise', message: 'unknown step "end"' },
      ]);
    });
    it('names a variant of a split', async () => {
      expect(await problems(broken((d) => { d.steps.test.variants[1].next = 'bonsu'; }))).toEqual([{ field: 'steps.test.variants.1.next', message: 'unknown step "bonsu"' }]);
    });
    it('names onlyIfEngagedWith naming no step, a step that is not a send, or a send that does not come before', async () => {
      expect(await problems(broken((d) => { d.steps.remind.onlyIfEngagedWith = 'invitation'; }))).toEqual([{ field: 'steps.remind.onlyIfEngagedWith', message: 'unknown step "invitation"' }]);
      expect(await problems(broken((d) => { d.steps.remind.onlyIfEngagedWith = 'await_visit'; }))).toEqual([
        { field: 'steps.remind.onlyIfEngagedWith', message: 'step "await_visit" is a wait_for_event step, not a send step' },
      ]);
      expect(await problems(broken((d) => { d.steps.remind.onlyIfEngagedWith = 'coupon'; }))).toEqual([
        { field: 'steps.remind.onlyIfEngagedWith', message: 'step "coupon" does not come before this step on every path from the entry' },
      ]);
      // Only one of two paths into `coupon` passes `remind`.
      expect(await problems(broken((d) => { d.steps.thank.otherwise = 'coupon'; d.steps.coupon.onlyIfEngagedWith = 'remind'; }))).toEqual([
        { field: 'steps.coupon.onlyIfEngagedWith', message: 'step "remind" does not come before this step on every path from the entry' },
      ]);
    });
  });

  it('names unreachable steps', async () => {
    expect(await problems(broken((d) => { d.steps.orphan = { type: 'send', channel: 'wechat', template: 'sample-invite', next: 'done' }; }))).toEqual([
      { field: 'steps.orphan', message: 'unreachable: no path from the entry step leads here' },
    ]);
  });

  it('names the first step of a loop without a wait', async () => {
    expect(await problems(broken((d) => {
      d.steps.bonus.next = 'again';
      d.steps.again = { type: 'branch', branches: [{ when: [{ field: 'points', op: 'lt', value: 100 }], next: 'bonus' }], otherwise: 'done' };
    }))).toEqual([{ field: 'steps.bonus', message: 'loops without a wait: bonus → again → bonus' }]);
  });

  it('names a step with an unknown channel', async () => {
    expect(await problems(broken((d) => { d.steps.invite.channel = 'fax'; }))).toEqual([
      { field: 'steps.invite.channel', message: 'unknown channel; one of email, sms, wechat, push, webhook' },
    ]);
  });

  describe('templates', () => {
    it('names a send step whose template does not exist', async () => {
      expect(await problems(broken((d) => { d.steps.invite.template = 'missing'; }))).toEqual([{ field: 'steps.invite.template', message: 'no wechat template "missing"' }]);
    });
    it('names a send step whose template exists only for another channel', async () => {
      expect(await problems(broken((d) => { d.steps.coupon.channel = 'sms'; }))).toEqual([{ field: 'steps.coupon.template', message: 'no sms template "first-purchase-coupon"' }]);
    });
    it('names a send step whose template is broken, with the template\'s own error', async () => {
      expect(await problems(broken((d) => { d.steps.coupon.template = 'broken'; }))).toEqual([{ field: 'steps.coupon.template', message: 'template "broken" body: unknown filter "money"' }]);
    });
  });

  describe('wait limits', () => {
    it('names a wait longer than 400 days or shorter than a minute', async () => {
      expect(await problems(broken((d) => { d.steps.vip.duration = '401 days'; }))).toEqual([{ field: 'steps.vip.duration', message: '"401 days" is outside 1 minute to 400 days' }]);
      expect(await problems(broken((d) => { d.steps.vip.duration = '30s'; }))).toEqual([{ field: 'steps.vip.duration', message: '"30s" is outside 1 minute to 400 days' }]);
    });
    it('names a wait-for-event timeout and a re-entry cooldown that are too long', async () => {
      expect(await problems(broken((d) => { d.steps.await_visit.timeout = '2 years'; d.reentry.cooldown = '500 days'; }))).toEqual([
        { field: 'steps.await_visit.timeout', message: '"2 years" is outside 1 minute to 400 days' },
        { field: 'reentry.cooldown', message: '"500 days" is outside 1 minute to 400 days' },
      ]);
    });
    it('names a holdout goal window that is too long or not a duration', async () => {
      expect(await problems(broken((d) => { d.goal = { ...d.goal!, within: '14 days' }; }))).toEqual([]);
      expect(await problems(broken((d) => { d.goal = { ...d.goal!, within: '2 years' }; }))).toEqual([{ field: 'goal.within', message: '"2 years" is outside 1 minute to 400 days' }]);
      expect(await problems(broken((d) => { d.goal = { ...d.goal!, within: 'a month' }; }))).toEqual([{ field: 'goal.within', message: 'not a duration such as "3 days", "12 hours" or "30m"' }]);
    });
    it('names a dated wait in the past or over 400 days away', async () => {
      expect(await problems(broken((d) => { d.steps.evening.date = '2026-05-01'; }))).toEqual([{ field: 'steps.evening.date', message: '2026-05-01 is in the past' }]);
      expect(await problems(broken((d) => { d.steps.evening.date = '2027-08-01'; }))).toEqual([{ field: 'steps.evening.date', message: '2027-08-01 is more than 400 days away' }]);
    });
    it('names a duration that is not one', async () => {
      expect(await problems(broken((d) => { d.steps.vip.duration = '3 dayz'; }))).toEqual([{ field: 'steps.vip.duration', message: 'not a duration such as "3 days", "12 hours" or "30m"' }]);
    });
  });

  describe('exits', () => {
    it('says so when no exit step is reachable', async () => {
      expect(await problems(broken((d) => { d.steps.done = { type: 'wait', duration: '1 day', next: 'done' }; }))).toEqual([
        { field: 'steps', message: 'no exit step is reachable from the entry step' },
      ]);
    });
    it('names the steps of a path that never reaches an exit', async () => {
      expect(await problems(broken((d) => {
        d.steps.thank.branches.push({ when: [{ field: 'tier', op: 'eq', value: 'silver' }], next: 'idle' });
        d.steps.idle = { type: 'wait', duration: '30 days', next: 'tag_idle' };
        d.steps.tag_idle = { type: 'update_profile', addTags: ['idle'], next: 'idle' };
      }))).toEqual([
        { field: 'steps.idle', message: 'no path from this step reaches an exit step' },
        { field: 'steps.tag_idle', message: 'no path from this step reaches an exit step' },
      ]);
    });
  });

  it('names a split whose weights and holdout do not add up to 100, and a variant named twice', async () => {
    expect(await problems(broken((d) => { d.steps.test.holdout = 5; }))).toEqual([{ field: 'steps.test.variants', message: 'weights and holdout add up to 95, not 100' }]);
    expect(await problems(broken((d) => { d.steps.test.variants[1].name = 'coupon'; }))).toEqual([{ field: 'steps.test.variants.1.name', message: 'variant "coupon" is named twice' }]);
  });

  it('names times that are not HH:MM and dates that are not MM-DD or YYYY-MM-DD', async () => {
    expect(await problems(broken((d) => { d.steps.evening.time = '8pm'; }))).toEqual([{ field: 'steps.evening.time', message: 'not a time of day HH:MM, e.g. 09:30' }]);
    expect(await problems(broken((d) => { d.steps.evening.time = '24:00'; }))).toEqual([{ field: 'steps.evening.time', message: 'not a time of day HH:MM, e.g. 09:30' }]);
    expect(await problems(broken((d) => { d.steps.evening.date = '2026-02-30'; }))).toEqual([{ field: 'steps.evening.date', message: 'not a date YYYY-MM-DD' }]);
    expect(await problems(broken((d) => { d.trigger = { type: 'fixed_date', date: '11/11', time: '9:00' }; }))).toEqual([
      { field: 'trigger.date', message: 'not a date MM-DD, e.g. 11-11' },
      { field: 'trigger.time', message: 'not a time of day HH:MM, e.g. 09:30' },
    ]);
    expect(await problems(broken((d) => { d.trigger = { type: 'fixed_date', date: '02-29', time: '09:00' }; }))).toEqual([]);
  });

  it('names a re-entry cooldown missing in cooldown mode, or given in another mode', async () => {
    expect(await problems(broken((d) => { d.reentry = { mode: 'cooldown' }; }))).toEqual([{ field: 'reentry.cooldown', message: 'required when mode is "cooldown"' }]);
    expect(await problems(broken((d) => { d.reentry = { mode: 'never', cooldown: '30 days' }; }))).toEqual([
      { field: 'reentry.cooldown', message: 'only allowed when mode is "cooldown", not "never"' },
    ]);
  });

  it('names conditions whose value does not fit the operator', async () => {
    expect(await problems(broken((d) => { d.goal!.where = [{ field: 'sku', op: 'in', value: 'oil' }]; }))).toEqual([{ field: 'goal.where.0.value', message: 'in takes a list of values' }]);
  });
});
