// A message template as the API accepts it: one zod schema for the runtime check and the type.
// Liquid syntax is checked here too, so a broken template never gets stored.
import { z } from 'zod';
import { channels } from '../../workflows/messaging/types.js';
import { checkTemplate } from '../../activities/channels/templates.js';

export const TemplateId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, _ . - (at most 100), starting with a letter or digit')
  .meta({ examples: ['welcome'] });
const Subject = z.string().min(1).max(998);
const Body = z.string().min(1).max(100_000);
const Locale = z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'expected a locale like zh-CN or en');
const Names = z.array(z.string().min(1).max(200)).max(100).optional();

const Content = z.object({ subject: Subject.optional(), body: Body }).strict();

const Variant = Content.extend({
  /** Who gets this variant: customers with one of the tags, in one of the stages, of one of the tiers. */
  when: z.object({ tags: Names, stages: Names, tiers: Names }).strict(),
}).strict();

const Fields = z.object({
  channel: z.enum(channels),
  subject: Subject.optional(),
  body: Body,
  html: z.boolean().optional(),
  locales: z.record(Locale, Content).default({}),
  variants: z.array(Variant).max(50).default([]),
}).strict();

function rules(t: z.infer<typeof Fields>, ctx: z.RefinementCtx): void {
  if (t.channel === 'email' && t.subject === undefined) ctx.addIssue({ code: 'custom', path: ['subject'], message: 'an e-mail needs a subject' });
  if (t.html && t.channel !== 'email') ctx.addIssue({ code: 'custom', path: ['html'], message: 'only e-mail can be HTML' });
  for (const problem of checkTemplate(t)) ctx.addIssue({ code: 'custom', path: problem.field.split('.'), message: problem.message });
}

/** POST /v1/templates */
export const Template = Fields.extend({ id: TemplateId }).superRefine(rules)
  .meta({ id: 'Template', examples: [{ id: 'welcome', channel: 'sms', body: 'Welcome, {{ profile.traits.name | default: "friend" }}!' }] });
export type Template = z.infer<typeof Template>;

/** PUT /v1/templates/:id (the id is the URL's; repeating it in the body is allowed). */
export const TemplateReplacement = Fields.extend({ id: TemplateId.optional() }).superRefine(rules).meta({ id: 'TemplateReplacement' });
export type TemplateReplacement = z.infer<typeof TemplateReplacement>;

/** A template as stored and answered. */
export const SavedTemplate = Fields.extend({ id: TemplateId, createdAt: z.date(), updatedAt: z.date() }).meta({ id: 'SavedTemplate' });
export const TemplateList = z.object({ templates: z.array(SavedTemplate) }).meta({ id: 'TemplateList' });
