// CSV exports (segment members, messages, conversions), streamed from MongoDB cursors. Parameters
// are checked before the first byte: a bad one is the usual JSON 400.
import { Router } from 'express';
import { z } from 'zod';
import type { Logger } from 'pino';
import { parse } from '../errors.js';
import { SegmentId } from '../segments/schema.js';
import { ConversionExportQuery, Csv, MemberExportQuery, MessageExportQuery } from './schema.js';
import { sendCsv } from './csv.js';
import type { ExportService } from './service.js';
import type { ApiRoute } from '../route.js';

const badRange = '`invalid_request`: `from` or `to` not an ISO 8601 date, or `to` not after `from`';
const csv = (description: string) => ({
  200: { description, schema: Csv, contentType: 'text/csv', headers: z.object({ 'Content-Disposition': z.string().meta({ description: 'attachment; filename="…"' }) }) },
});
const admin = (route: Omit<ApiRoute, 'key'>): ApiRoute => ({ ...route, key: 'admin' });

export const exportsApi: ApiRoute[] = [
  admin({
    method: 'get', path: '/v1/segments/:id/export.csv', summary: 'The segment\'s members now, as CSV', params: z.object({ id: SegmentId }), query: MemberExportQuery,
    description: 'One row per member, by customer id: `customerId`, `identities` (`type:value` pairs separated by `;`), `stage`, `tier`, the value scores '
      + '(`scores.r` … `scores.potential`) and a `traits.<name>` column per trait asked for (lists and objects as JSON).',
    responses: csv('the members'), errors: { 400: '`invalid_request`: not a segment id, or a bad trait name', 404: '`not_found`: no such segment' },
  }),
  admin({
    method: 'get', path: '/v1/messages/export.csv', summary: 'The messages created in [from, to), as CSV', query: MessageExportQuery,
    description: 'Oldest first: id, customer, channel, template, status and reason, journey or campaign, and each delivery time. No address, personalisation or links.',
    responses: csv('the messages'), errors: { 400: badRange },
  }),
  admin({
    method: 'get', path: '/v1/conversions/export.csv', summary: 'The conversions in [from, to) with their credits per touch, as CSV', query: ConversionExportQuery,
    description: 'One row per credit (a touch\'s share of the revenue under a model), oldest conversion first; a conversion without credits is one row with the touch columns empty.',
    responses: csv('the conversions'), errors: { 400: `${badRange}, or an unknown \`model\`` },
  }),
];

export function exportsRouter(service: ExportService, logger: Logger): Router {
  const router = Router();
  router.get('/v1/segments/:id/export.csv', async (req, res) => {
    const id = parse(SegmentId, req.params.id, ['id']);
    const { traits } = parse(MemberExportQuery, req.query);
    const out = await service.segmentMembers(id, traits);
    await sendCsv(res, out.filename, out.columns, out.rows, logger);
  });
  router.get('/v1/messages/export.csv', async (req, res) => {
    const q = parse(MessageExportQuery, req.query);
    const out = service.messages(new Date(q.from), new Date(q.to));
    await sendCsv(res, out.filename, out.columns, out.rows, logger);
  });
  router.get('/v1/conversions/export.csv', async (req, res) => {
    const q = parse(ConversionExportQuery, req.query);
    const out = service.conversions(new Date(q.from), new Date(q.to), q.model);
    await sendCsv(res, out.filename, out.columns, out.rows, logger);
  });
  return router;
}
