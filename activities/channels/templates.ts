// Renders a message template with LiquidJS: the content for the customer's segment and locale,
// personalised from the profile and the triggering event. checkTemplate finds every parse error
// up front, so a broken template is caught when a journey is published, not when it sends.
import { Liquid, Tag, type Template as Parsed } from 'liquidjs';
import type { TemplateContent, TemplateDoc, TemplateVariant, VariantCondition } from '../db/templates.js';

/** The parts of a template that the checks and the renderer read. */
export type TemplateSource = Pick<TemplateDoc, 'subject' | 'body' | 'html' | 'locales' | 'variants'>;

export interface TemplateProblem {
  /** Where in the template, e.g. `locales.zh-CN.body` or `variants.2.subject`. */
  field: string;
  message: string;
}

export interface RenderedContent {
  subject?: string;
  body: string;
  html: boolean;
}

function engine(html: boolean): Liquid {
  const liquid = new Liquid({
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    // HTML bodies escape what they output (`| raw` opts out); subjects and texts are plain.
    outputEscape: html ? 'escape' : undefined,
    // No file system: a template stands alone.
    templates: {},
    renderLimit: 1000,
    parseLimit: 200_000,
  });
  for (const name of ['include', 'render', 'layout']) {
    liquid.registerTag(name, class extends Tag {
      constructor(...args: ConstructorParameters<typeof Tag>) {
        super(...args);
        throw new Error(`{% ${name} %} is not supported: a template cannot include another`);
      }
      *render(): Generator<never, void> { /* never constructed */ }
    });
  }
  return liquid;
}

const plain = engine(false);
const escaping = engine(true);
const bodyEngine = (t: TemplateSource): Liquid => (t.html ? escaping : plain);

/** Each piece of text in a template, with its field name. */
function* texts(t: TemplateSource): Generator<{ field: string; source: string; html: boolean }> {
  const of = function* (prefix: string, c: TemplateContent) {
    if (c.subject !== undefined) yield { field: `${prefix}subject`, source: c.subject, html: false };
    yield { field: `${prefix}body`, source: c.body, html: t.html ?? false };
  };
  yield* of('', t);
  for (const [locale, content] of Object.entries(t.locales ?? {})) yield* of(`locales.${locale}.`, content);
  for (const [i, variant] of (t.variants ?? []).entries()) yield* of(`variants.${i}.`, variant);
}

/** Every Liquid parse error in the template: the base, each locale, each variant. */
export function checkTemplate(t: TemplateSource): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const { field, source, html } of texts(t)) {
    try {
      (html ? escaping : plain).parse(source);
    } catch (err) {
      problems.push({ field, message: err instanceof Error ? err.message : String(err) });
    }
  }
  return problems;
}

/** What a variant's condition reads from the customer. */
interface Segmentable { tags?: unknown; stage?: unknown; tier?: unknown }

export function matchesVariant(when: VariantCondition, profile: Segmentable): boolean {
  const tags = Array.isArray(profile.tags) ? profile.tags : [];
  if (when.tags?.length && !when.tags.some((t) => tags.includes(t))) return false;
  if (when.stages?.length && !when.stages.includes(String(profile.stage))) return false;
  if (when.tiers?.length && !when.tiers.includes(String(profile.tier))) return false;
  return true;
}

/** `zh-CN` → `zh-CN`, else `zh-cn` in any case, else the language `zh`. */
export function localeContent(locales: Record<string, TemplateContent>, locale: string | undefined): TemplateContent | undefined {
  if (!locale) return undefined;
  const wanted = locale.toLowerCase();
  const language = wanted.split(/[-_]/)[0];
  const keys = Object.keys(locales);
  const key = keys.find((k) => k === locale) ?? keys.find((k) => k.toLowerCase() === wanted) ?? keys.find((k) => k.toLowerCase() === language);
  return key === undefined ? undefined : locales[key];
}

/**
 * The content this customer gets: the first matching segment variant, else the locale's
 * content, else the template's own. A variant or locale without a subject keeps the base one.
 */
export function chooseContent(t: TemplateSource, profile: Segmentable, locale?: string): TemplateContent {
  const variant: TemplateVariant | undefined = (t.variants ?? []).find((v) => matchesVariant(v.when ?? {}, profile));
  const localised = localeContent(t.locales ?? {}, locale);
  const chosen = variant ?? localised ?? t;
  return { subject: chosen.subject ?? t.subject, body: chosen.body };
}

export async function renderTemplate(t: TemplateSource, variables: Record<string, unknown>, locale?: string): Promise<RenderedContent> {
  const profile = (typeof variables.profile === 'object' && variables.profile !== null ? variables.profile : {}) as Segmentable;
  const content = chooseContent(t, profile, locale);
  const render = async (liquid: Liquid, source: string): Promise<string> => {
    const parsed: Parsed[] = liquid.parse(source);
    return String(await liquid.render(parsed, variables));
  };
  return {
    ...(content.subject !== undefined && { subject: (await render(plain, content.subject)).trim() }),
    body: await render(bodyEngine(t), content.body),
    html: t.html ?? false,
  };
}
