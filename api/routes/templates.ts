// Message templates (admin): create, list, read, replace, delete at /v1/templates.
import { Router } from 'express';
import { ApiError, invalid, zodDetails } from '../errors.js';
import { Template, TemplateId, TemplateReplacement } from '../templates/schema.js';
import { templateRepository, type TemplateDoc, type TemplateInput, type TemplateModels } from '../../activities/db/templates.js';

export interface TemplatesRouterDeps {
  models: TemplateModels;
}

const toDoc = (id: string, t: Omit<TemplateReplacement, 'id'>): TemplateInput => ({
  _id: id, channel: t.channel, body: t.body, locales: t.locales, variants: t.variants,
  ...(t.subject !== undefined && { subject: t.subject }),
  ...(t.html !== undefined && { html: t.html }),
});

const view = ({ _id, ...rest }: TemplateDoc) => ({ id: _id, ...rest });

const notFound = (id: string): ApiError => new ApiError(404, 'not_found', `no template ${id}`);

export function templatesRouter({ models }: TemplatesRouterDeps): Router {
  const templates = templateRepository(models);
  const router = Router();

  const idParam = (raw: unknown): string => {
    const parsed = TemplateId.safeParse(raw);
    if (!parsed.success) throw invalid(zodDetails(parsed.error, ['id']));
    return parsed.data;
  };

  router.get('/v1/templates', async (_req, res) => {
    res.json({ templates: (await templates.list()).map(view) });
  });

  router.post('/v1/templates', async (req, res) => {
    const parsed = Template.safeParse(req.body);
    if (!parsed.success) throw invalid(zodDetails(parsed.error));
    const { id, ...fields } = parsed.data;
    if (!(await templates.create(toDoc(id, fields)))) throw new ApiError(409, 'conflict', `template ${id} already exists`);
    res.status(201).json(view((await templates.find(id))!));
  });

  router.get('/v1/templates/:id', async (req, res) => {
    const id = idParam(req.params.id);
    const doc = await templates.find(id);
    if (!doc) throw notFound(id);
    res.json(view(doc));
  });

  router.put('/v1/templates/:id', async (req, res) => {
    const id = idParam(req.params.id);
    const parsed = TemplateReplacement.safeParse(req.body);
    if (!parsed.success) throw invalid(zodDetails(parsed.error));
    const { id: bodyId, ...fields } = parsed.data;
    if (bodyId !== undefined && bodyId !== id) throw invalid([{ field: 'id', message: `does not match the URL's ${id}` }]);
    if (!(await templates.replace(toDoc(id, fields)))) throw notFound(id);
    res.json(view((await templates.find(id))!));
  });

  router.delete('/v1/templates/:id', async (req, res) => {
    const id = idParam(req.params.id);
    if (!(await templates.remove(id))) throw notFound(id);
    res.json({ deleted: true });
  });

  return router;
}
