// The single customer view: profile + live workflow state, timeline, lookup by identity, erasure.
import { Router } from 'express';
import { z } from 'zod';
import { ApiError, invalid, zodDetails } from '../errors.js';
import { normaliseEmail, normalisePhone } from '../ingest/normalize.js';
import type { CustomerService } from '../customers/service.js';

const Lookup = z.object({
  phone: z.string().optional(),
  email: z.string().optional(),
  userId: z.string().optional(),
  anonymousId: z.string().optional(),
  wechat_openid: z.string().optional(),
  wechat_unionid: z.string().optional(),
}).refine((q) => Object.values(q).filter(Boolean).length === 1, { message: 'give exactly one of phone, email, userId, anonymousId, wechat_openid, wechat_unionid', path: ['query'] });

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

const CustomerId = z.string().regex(/^c[0-9a-z]{9}[0-9a-f]{10}$/, 'not a customer id');

export function customersRouter(service: CustomerService, defaultPhoneCountry: string): Router {
  const router = Router();

  const idParam = (raw: unknown): string => {
    const parsed = CustomerId.safeParse(raw);
    if (!parsed.success) throw invalid(zodDetails(parsed.error, ['id']));
    return parsed.data;
  };

  router.get('/v1/customers', async (req, res) => {
    const q = Lookup.safeParse(req.query);
    if (!q.success) throw invalid(zodDetails(q.error));
    const [type, raw] = Object.entries(q.data).find(([, v]) => v)! as [string, string];
    const value = type === 'phone' ? normalisePhone(raw, defaultPhoneCountry) : type === 'email' ? normaliseEmail(raw) : raw;
    if (!value) throw invalid([{ field: type, message: `not a valid ${type}` }]);
    const customerId = await service.lookup({ type, value });
    if (!customerId) throw new ApiError(404, 'not_found', `no customer with that ${type}`);
    res.json(await service.view(customerId));
  });

  router.get('/v1/customers/:id', async (req, res) => {
    const view = await service.view(idParam(req.params.id));
    if (!view) throw new ApiError(404, 'not_found', 'no such customer');
    res.json(view);
  });

  router.get('/v1/customers/:id/timeline', async (req, res) => {
    const id = idParam(req.params.id);
    const page = Page.safeParse(req.query);
    if (!page.success) throw invalid(zodDetails(page.error));
    const result = await service.timeline(id, page.data.limit, page.data.cursor);
    if (result === 'bad_cursor') throw invalid([{ field: 'cursor', message: 'not a cursor from a previous page' }]);
    res.json(result);
  });

  router.delete('/v1/customers/:id', async (req, res) => {
    res.json({ deleted: await service.erase(idParam(req.params.id)) });
  });

  return router;
}
