// The API's own description: GET /openapi.json, and a browsable page at GET /docs (Swagger UI,
// served from the swagger-ui-dist package: the page loads nothing from the internet).
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { Router } from 'express';
import helmet from 'helmet';
import { z } from 'zod';
import type { ApiRoute } from '../route.js';

const OpenApiJson = z.looseObject({ openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) });

export const docsApi: ApiRoute[] = [
  {
    method: 'get', path: '/openapi.json', key: 'none', summary: 'This document (OpenAPI 3.1)',
    responses: { 200: { description: 'the document', schema: OpenApiJson } },
  },
  {
    method: 'get', path: '/docs', key: 'none', summary: 'This document as a browsable page',
    responses: { 200: { description: 'Swagger UI', contentType: 'text/html', schema: z.string() } },
  },
];

const assetsDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const assets = new Set(['/swagger-ui.css', '/swagger-ui-bundle.js', '/favicon-32x32.png', '/favicon-16x16.png']);

const init = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null, presets: [SwaggerUIBundle.presets.apis] });
});`;

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Closedloop API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head><body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>${init}</script>
</body></html>
`;

export function docsRouter(document: object): Router {
  const router = Router();
  const serve = express.static(assetsDir, { index: false });
  // Only the page's own inline script may run besides our files: allowed by its hash, on this page alone.
  const pageCsp = helmet.contentSecurityPolicy({
    directives: { scriptSrc: ["'self'", `'sha256-${createHash('sha256').update(init).digest('base64')}'`] },
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/docs', pageCsp, (_req, res) => {
    res.type('html').send(page);
  });
  // Swagger UI's files, and nothing else of the package.
  router.use('/docs', (req, res, next) => (assets.has(req.path) ? serve(req, res, next) : next()));
  return router;
}
