// Renders a message template with LiquidJS: the content for the customer's segment and locale,
// personalised from the profile and the triggering event. checkTemplate finds every parse error
// up front, so a broken template is caught when a journey is published, not when it sends.
import { randomBytes } from 'node:crypto';
import { Liquid, Tag, type Template as Parsed } from 'liquidjs';
import type { TemplateContent, TemplateDoc, TemplateVariant, VariantCondition } from '../../store/templates.js';

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
  /** With `markLinks`: the mark put before each link the template's author wrote (see markAuthorLinks). */
  linkMarker?: string;
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
    // Denial-of-service bounds (README, *Limits*): a second of rendering, 200,000 characters of
    // template, 16 M characters of strings and arrays made while rendering (a `{% for %}` over
    // `(1..100000000)`, a `| join` of a huge list) fail the render instead of the worker.
    renderLimit: 1000,
    parseLimit: 200_000,
    memoryLimit: 16_000_000,
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

// A link's scheme and host as written in the template's text (no Liquid in them), ended by a path,
// query, fragment, quote, space or the text's end: the host cannot continue with rendered data.
const authorLink = /(href=")?(https?:\/\/[^/?#\s"'<>{}]+)(?=[/?#\s"'<>]|$)/gi;

/** Text, markup, text, …: the template cut at its `{{ … }}` and `{% … %}` (in linear time). */
function liquidParts(source: string): string[] {
  const parts: string[] = [];
  let text = 0;
  let at = 0;
  for (;;) {
    const open = source.indexOf('{', at);
    if (open < 0) break;
    const kind = source[open + 1];
    if (kind !== '{' && kind !== '%') { at = open + 1; continue; }
    const close = source.indexOf(kind === '{' ? '}}' : '%}', open + 2);
    if (close < 0) break;
    parts.push(source.slice(text, open), source.slice(open, close + 2));
    text = at = close + 2;
  }
  parts.push(source.slice(text));
  return parts;
}

/**
 * Puts `marker` before every link in the template's own text (outside Liquid markup), before it
 * is rendered: `href="https://…` in HTML, bare URLs in plain text. Only marked links are tracked,
 * so a URL from a customer's traits is never turned into a redirect on the brand's domain.
 */
export function markAuthorLinks(source: string, html: boolean, marker: string): string {
  const parts = liquidParts(source);
  return parts.map((part, i) => {
    if (i % 2 === 1) return part;
    const last = i === parts.length - 1;
    return part.replace(authorLink, (match: string, href: string | undefined, url: string, offset: number) => {
      if (!last && offset + match.length === part.length) return match;
      if (html) return href ? `${href}${marker}${url}` : match;
      return `${href ?? ''}${marker}${url}`;
    });
  }).join('');
}

export async function renderTemplate(
  t: TemplateSource, variables: Record<string, unknown>, locale?: string, options: { markLinks?: boolean } = {},
): Promise<RenderedContent> {
  const profile = (typeof variables.profile === 'object' && variables.profile !== null ? variables.profile : {}) as Segmentable;
  const content = chooseContent(t, profile, locale);
  const render = async (liquid: Liquid, source: string): Promise<string> => {
    const parsed: Parsed[] = liquid.parse(source);
    return String(await liquid.render(parsed, variables));
  };
  // Unguessable per message, so customer data cannot carry a mark of its own.
  const linkMarker = options.markLinks ? `\uE000${randomBytes(12).toString('hex')}\uE001` : undefined;
  const body = linkMarker ? markAuthorLinks(content.body, t.html ?? false, linkMarker) : content.body;
  return {
    ...(content.subject !== undefined && { subject: (await render(plain, content.subject)).trim() }),
    body: await render(bodyEngine(t), body),
    html: t.html ?? false,
    ...(linkMarker !== undefined && { linkMarker }),
  };
}
