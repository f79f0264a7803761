// Templates: every Liquid error found before a journey goes live; the content each customer gets.
import { describe, expect, it } from 'vitest';
import { checkTemplate, renderTemplate, type TemplateSource } from '../../activities/channels/templates.js';

const ok: TemplateSource = {
  subject: 'Hi {{ profile.traits.name | capitalize }}',
  body: '<p>{% if profile.points > 100 %}You have {{ profile.points }} points{% else %}Welcome{% endif %}</p>',
  html: true,
  locales: { 'zh-CN': { subject: '你好 {{ profile.traits.name }}', body: '<p>欢迎</p>' }, en: { body: 'Hello' } },
  variants: [{ when: { tiers: ['gold'] }, body: 'Gold: {{ event.properties.total | times: 2 }}' }],
};

describe('checkTemplate', () => {
  it('finds nothing wrong with a valid template', () => {
    expect(checkTemplate(ok)).toEqual([]);
  });

  it('names every broken field at once: the base, each locale and each variant', () => {
    const problems = checkTemplate({
      subject: 'Hi {{ profile.traits.name',
      body: 'fine',
      locales: { 'zh-CN': { body: '{% if x %}never closed' }, 'en-GB': { subject: 'ok', body: 'ok' }, ja: { subject: '{{ a | nope }}', body: '{% endfor %}' } },
      variants: [{ when: {}, body: 'ok' }, { when: { tags: ['vip'] }, subject: 'ok', body: '{% bogus %}' }],
    });
    expect(problems.map((p) => p.field)).toEqual(['subject', 'locales.zh-CN.body', 'locales.ja.subject', 'locales.ja.body', 'variants.1.body']);
    expect(problems[0]?.message).toMatch(/not closed/);
    expect(problems[1]?.message).toMatch(/tag \{% if x %\} not closed/);
    expect(problems[4]?.message).toMatch(/tag "bogus" not found/);
  });

  it('rejects unknown filters (strict filters) but not unknown variables', () => {
    expect(checkTemplate({ body: '{{ profile.name | shout }}', locales: {}, variants: [] })).toEqual([
      { field: 'body', message: expect.stringMatching(/undefined filter: shout/) },
    ]);
    expect(checkTemplate({ body: '{{ anything.at.all }}', locales: {}, variants: [] })).toEqual([]);
  });

  it('rejects including other templates or files', () => {
    for (const tag of ['{% include "header" %}', '{% render "/etc/passwd" %}', '{% layout "base" %}']) {
      expect(checkTemplate({ body: tag, locales: {}, variants: [] })).toEqual([{ field: 'body', message: expect.stringMatching(/not supported/) }]);
    }
  });
});

describe('renderTemplate', () => {
  it('stops a template that would take the worker\'s memory or time, as a template error', async () => {
    const t = (body: string): TemplateSource => ({ body, locales: {}, variants: [] });
    for (const body of ['{% for i in (1..100000000) %}xxxxxxxxxx{% endfor %}', '{% assign s = "x" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}']) {
      const started = Date.now();
      await expect(renderTemplate(t(body), {})).rejects.toThrow(/limit/i);
      expect(Date.now() - started).toBeLessThan(3000);
    }
  });

  const mei = { profile: { traits: { name: 'mei <b>' }, points: 150, tier: 'silver', tags: ['vip'], stage: 'loyal' }, event: { properties: { total: 21 } } };

  it('personalises from the profile and the event, escaping HTML bodies but not subjects', async () => {
    expect(await renderTemplate(ok, mei)).toEqual({ subject: 'Hi Mei <b>', body: '<p>You have 150 points</p>', html: true });
    const plain = await renderTemplate({ ...ok, html: false }, mei);
    expect(plain.body).toBe('<p>You have 150 points</p>');
    expect((await renderTemplate({ body: '{{ profile.traits.name }}', html: true, locales: {}, variants: [] }, mei)).body).toBe('mei &lt;b&gt;');
    expect((await renderTemplate({ body: '{{ profile.traits.name }}', html: false, locales: {}, variants: [] }, mei)).body).toBe('mei <b>');
  });

  it('renders missing variables as empty', async () => {
    expect((await renderTemplate({ body: 'Hi {{ profile.traits.nickname }}!', locales: {}, variants: [] }, {})).body).toBe('Hi !');
  });

  it('picks the locale: exact, then any case, then the language; else the base content', async () => {
    expect(await renderTemplate(ok, mei, 'zh-CN')).toMatchObject({ subject: '你好 mei <b>', body: '<p>欢迎</p>' });
    expect(await renderTemplate(ok, mei, 'zh-cn')).toMatchObject({ body: '<p>欢迎</p>' });
    // A locale without a subject keeps the base subject.
    expect(await renderTemplate(ok, mei, 'en-US')).toMatchObject({ subject: 'Hi Mei <b>', body: 'Hello' });
    expect(await renderTemplate(ok, mei, 'fr-FR')).toMatchObject({ body: '<p>You have 150 points</p>' });
  });

  it('sends the first variant whose segment matches; every given condition must hold', async () => {
    const t: TemplateSource = {
      body: 'everyone', locales: { 'zh-CN': { body: '所有人' } },
      variants: [
        { when: { tags: ['vip', 'press'], stages: ['at_risk'] }, body: 'vip at risk' },
        { when: { tags: ['press', 'vip'] }, body: 'vip or press' },
        { when: { tiers: ['gold'] }, body: 'gold' },
      ],
    };
    expect((await renderTemplate(t, { profile: { tags: ['vip'], stage: 'at_risk', tier: 'gold' } })).body).toBe('vip at risk');
    expect((await renderTemplate(t, { profile: { tags: ['vip'], stage: 'loyal', tier: 'gold' } })).body).toBe('vip or press');
    expect((await renderTemplate(t, { profile: { tags: [], tier: 'gold' } })).body).toBe('gold');
    // A matching variant wins over the locale; with none, the locale applies.
    expect((await renderTemplate(t, { profile: { tier: 'gold' } }, 'zh-CN')).body).toBe('gold');
    expect((await renderTemplate(t, { profile: { tier: 'bronze' } }, 'zh-CN')).body).toBe('所有人');
    expect((await renderTemplate(t, {})).body).toBe('everyone');
  });
});
