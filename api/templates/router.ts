// Message templates (admin): create, list, read, replace, delete at /v1/templates.
import { Router } from 'express';
import { z } from 'zod';
import { ApiError, invalid, parse } from '../errors.js';
import { SavedTemplate, Template, TemplateId, TemplateList, TemplateReplacement } from './schema.js';
import { templateRepository, type TemplateDoc, type TemplateInput, type TemplateModels } from '../../store/templates.js';
import type { ApiRoute } from '../route.js';
import type { Channel } from '../../workflows/messaging/types.js';
import { TestSend, TestSendRequest, type testSender } from './test-send.js';

export interface TemplatesRouterDeps {
  models: TemplateModels;
  /** Test sends (`POST /v1/templates/:id/test`). */
  testSend: ReturnType<typeof testSender>;
}

const toDoc = (id: string, t: Omit<TemplateReplacement, 'id'>): TemplateInput => ({
  _id: id, channel: t.channel, body: t.body, locales: t.locales, variants: t.variants,
  ...(t.subject !== undefined && { subject: t.subject }),
  ...(t.html !== undefined && { html: t.html }),
});

// Only this router writes templates, after Template's check: a stored channel is one of `channels`.
const view = ({ _id, channel, ...rest }: TemplateDoc) => ({ id: _id, channel: channel as Channel, ...rest });

const notFound = (id: string): ApiError => new ApiError(404, 'not_found', `no template ${id}`);

const byId = z.object({ id: TemplateId });
const Deleted = z.object({ deleted: z.literal(true) }).meta({ id: 'TemplateDeleted' });
const invalidRequest = '`invalid_request`: every bad field named, broken Liquid by its field (e.g. `locales.zh-CN.body`)';
const admin = (route: Omit<ApiRoute, 'key'>): ApiRoute => ({ ...route, key: 'admin' });

export const templatesApi: ApiRoute[] = [
  admin({
    method: 'post', path: '/v1/templates/:id/test', summary: 'Send the template once, marked as a test, to an address you give', params: byId, body: TestSendRequest,
    description: 'Rendered for `customerId` (or sample traits) and sent through the template\'s real channel; the subject starts with `[TEST]`. Never recorded as a customer\'s message: no report, cap or attribution counts it.',
    responses: { 200: { description: 'what was sent', schema: TestSend } },
    errors: { 400: '`invalid_request` (e.g. `to` not an address of the channel), `template_error`', 404: '`not_found`: no such template or customer', 502: '`provider_error`: the provider refused it' },
  }),
  admin({ method: 'get', path: '/v1/templates', summary: 'List templates', responses: { 200: { description: 'templates by id', schema: TemplateList } } }),
  admin({
    method: 'post', path: '/v1/templates', summary: 'Create a template', body: Template,
    responses: { 201: { description: 'the template', schema: SavedTemplate } }, errors: { 400: invalidRequest, 409: '`conflict`: a template with this id exists' },
  }),
  admin({
    method: 'get', path: '/v1/templates/:id', summary: 'A template', params: byId,
    responses: { 200: { description: 'the template', schema: SavedTemplate } }, errors: { 400: invalidRequest, 404: '`not_found`' },
  }),
  admin({
    method: 'put', path: '/v1/templates/:id', summary: 'Replace a template', params: byId, body: TemplateReplacement,
    responses: { 200: { description: 'the template', schema: SavedTemplate } }, errors: { 400: `${invalidRequest}, or a body \`id\` other than the URL's`, 404: '`not_found`' },
  }),
  admin({
    method: 'delete', path: '/v1/templates/:id', summary: 'Delete a template', params: byId,
    responses: { 200: { description: 'deleted', schema: Deleted } }, errors: { 400: invalidRequest, 404: '`not_found`' },
  }),
];

export function templatesRouter(deps: TemplatesRouterDeps): Router {
  const { models } = deps;
  const templates = templateRepository(models);
  const router = Router();

  const idParam = (raw: unknown): string => parse(TemplateId, raw, ['id']);

  router.get('/v1/templates', async (_req, res) => {
    res.json({ templates: (await templates.list()).map(view) } satisfies z.input<typeof TemplateList>);
  });

  router.post('/v1/templates', async (req, res) => {
    const { id, ...fields } = parse(Template, req.body);
    if (!(await templates.create(toDoc(id, fields)))) throw new ApiError(409, 'conflict', `template ${id} already exists`);
    res.status(201).json(view((await templates.find(id))!) satisfies z.input<typeof SavedTemplate>);
  });

  router.get('/v1/templates/:id', async (req, res) => {
    const id = idParam(req.params.id);
    const doc = await templates.find(id);
    if (!doc) throw notFound(id);
    res.json(view(doc) satisfies z.input<typeof SavedTemplate>);
  });

  router.put('/v1/templates/:id', async (req, res) => {
    const id = idParam(req.params.id);
    const { id: bodyId, ...fields } = parse(TemplateReplacement, req.body);
    if (bodyId !== undefined && bodyId !== id) throw invalid([{ field: 'id', message: `does not match the URL's ${id}` }]);
    if (!(await templates.replace(toDoc(id, fields)))) throw notFound(id);
    res.json(view((await templates.find(id))!) satisfies z.input<typeof SavedTemplate>);
  });

  router.post('/v1/templates/:id/test', async (req, res) => {
    const id = idParam(req.params.id);
    const body = parse(TestSendRequest, req.body ?? {});
    const doc = await templates.find(id);
    if (!doc) throw notFound(id);
    res.json((await deps.testSend(doc, body)) satisfies z.input<typeof TestSend>);
  });

  router.delete('/v1/templates/:id', async (req, res) => {
    const id = idParam(req.params.id);
    if (!(await templates.remove(id))) throw notFound(id);
    res.json({ deleted: true } satisfies z.input<typeof Deleted>);
  });

  return router;
}
