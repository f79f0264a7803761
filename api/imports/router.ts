// CSV imports (admin keys): upload a file of customers or events, follow its progress, read its bad rows, cancel it.
import { Router } from 'express';
import { z } from 'zod';
import { ApiError, parse } from '../errors.js';
import { CsvUpload, ImportErrorPage, ImportId, ImportList, ImportQuery, ImportView, PageQuery } from './schema.js';
import type { ImportService } from './service.js';
import type { ApiRoute } from '../route.js';

const byId = z.object({ id: ImportId });
const admin = (route: Omit<ApiRoute, 'key'>): ApiRoute => ({ ...route, key: 'admin' });

export const importsApi: ApiRoute[] = [
  admin({
    method: 'post', path: '/v1/imports', summary: 'Import a CSV of customers or events', query: ImportQuery, body: CsvUpload, bodyType: 'text/csv',
    description: 'The file (up to `IMPORT_MAX_BYTES`, 1 GB by default) is streamed to disk, its header checked, then `importWorkflow` (`import-<id>`) '
      + 'validates every row with the same checks as `/v1/identify` and `/v1/batch`, and imports the rows through the same ingestion path '
      + '(identity resolution, merges, lifecycle) at `ratePerSecond`. A row without `messageId` gets one from the file\'s SHA-256 and its line, '
      + 'so importing the same file again applies nothing twice. Answers at once; `GET` the import for its progress.',
    responses: { 202: { description: 'the import, started (`validating`)', schema: ImportView } },
    errors: {
      400: '`invalid_request`, nothing started: a bad query parameter (`kind`, `skipInvalid`, `ratePerSecond`), an empty file (`(body)`), '
        + 'or a bad header (`columns.<n>` for an unknown, empty or repeated column; `columns` for a missing identity or event column)',
      413: '`payload_too_large`: the file is over `IMPORT_MAX_BYTES`; nothing kept',
      415: '`unsupported_encoding`: a compressed body (send it uncompressed)',
      503: '`temporal_unavailable`: not started, nothing kept; retry',
    },
  }),
  admin({
    method: 'get', path: '/v1/imports', summary: 'Imports, newest first', query: PageQuery,
    responses: { 200: { description: 'a page of imports', schema: ImportList } }, errors: { 400: '`invalid_request`: a bad `limit` or `cursor`' },
  }),
  admin({
    method: 'get', path: '/v1/imports/:id', summary: 'An import: its status and progress', params: byId,
    responses: { 200: { description: 'the import', schema: ImportView } }, errors: { 400: '`invalid_request`: not an import id', 404: '`not_found`' },
  }),
  admin({
    method: 'get', path: '/v1/imports/:id/errors', summary: 'An import\'s bad rows by line and column', params: byId, query: PageQuery,
    description: 'In line order; at most 1,000 errors are kept per import (every invalid row is counted in `invalid`).',
    responses: { 200: { description: 'a page of errors', schema: ImportErrorPage } }, errors: { 400: '`invalid_request`', 404: '`not_found`' },
  }),
  admin({
    method: 'post', path: '/v1/imports/:id/cancel', summary: 'Stop an import; the rows applied stay applied', params: byId,
    responses: { 200: { description: 'the import as it was when asked', schema: ImportView } }, errors: { 400: '`invalid_request`', 404: '`not_found`', 503: '`temporal_unavailable`: retry' },
  }),
];

export function importsRouter(service: ImportService): Router {
  const router = Router();
  router.post('/v1/imports', async (req, res) => {
    const query = parse(ImportQuery, req.query);
    if (!req.is('text/csv')) {
      const type = req.headers['content-type'];
      throw new ApiError(415, 'unsupported_media_type', `the body must be text/csv${type === undefined ? ', and no Content-Type was given' : `, not ${type.slice(0, 100)}`}`, [{ field: 'Content-Type', message: 'expected text/csv' }]);
    }
    res.status(202).json(await service.create(req, res, query));
  });
  router.get('/v1/imports', async (req, res) => {
    const { limit, cursor } = parse(PageQuery, req.query);
    res.json((await service.list(limit, cursor)) satisfies z.input<typeof ImportList>);
  });
  router.get('/v1/imports/:id', async (req, res) => {
    const { id } = parse(byId, req.params);
    res.json((await service.get(id)) satisfies z.input<typeof ImportView>);
  });
  router.get('/v1/imports/:id/errors', async (req, res) => {
    const { id } = parse(byId, req.params);
    const { limit, cursor } = parse(PageQuery, req.query);
    res.json((await service.errors(id, limit, cursor)) satisfies z.input<typeof ImportErrorPage>);
  });
  router.post('/v1/imports/:id/cancel', async (req, res) => {
    const { id } = parse(byId, req.params);
    res.json((await service.cancel(id)) satisfies z.input<typeof ImportView>);
  });
  return router;
}
