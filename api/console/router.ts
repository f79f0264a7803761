// The marketer's console (console/, built by Vite into console/dist): static files at /console,
// every other console path answered with its index.html (the console routes in the browser).
// Middleware only, no API routes: the console is a client of the documented API, not part of it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type Request, type Response } from 'express';
import helmet from 'helmet';
import { ApiError } from '../errors.js';

export const consoleDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../console/dist');

// Everything from this origin only; inline style attributes, which the chart tooltips and the
// flow graph set, are the one allowance. No https: sources, so nothing loads from elsewhere.
const consoleCsp = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'"], connectSrc: ["'self'"], objectSrc: ["'none'"], baseUri: ["'self'"], formAction: ["'self'"],
    frameAncestors: ["'none'"], scriptSrcAttr: ["'none'"],
  },
});

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head><body>
<h1>The console is not built</h1>
<p>Build it with <code>bash scripts/provision.sh</code> (or <code>npm --prefix console ci &amp;&amp; npm --prefix console run build</code>), then reload this page.</p>
</body></html>
`;

export function consoleRouter(dist: string = consoleDist): Router {
  const router = Router();
  const index = path.join(dist, 'index.html');
  // Hashed file names: a file never changes, so browsers may keep it; index.html is asked for every time.
  const assets = express.static(dist, { index: false, immutable: true, maxAge: '1y' });
  const files = express.static(dist, { index: false, maxAge: 0 });

  const sendIndex = (_req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  };

  router.use('/console', consoleCsp, (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!existsSync(index)) {
      res.status(503).setHeader('Retry-After', '60');
      if (req.accepts(['json', 'html']) === 'html') return void res.type('html').send(notBuiltPage);
      return next(new ApiError(503, 'console_not_built', 'the console is not built: run `bash scripts/provision.sh` (or `npm --prefix console ci && npm --prefix console run build`)'));
    }
    if (req.path.startsWith('/assets/')) return assets(req, res, (err?: unknown) => next(err ?? new ApiError(404, 'not_found', `no console file ${req.path}`)));
    // A path with a file extension is a file or nothing; any other path is a page of the console.
    if (req.path !== '/' && req.path !== '/index.html' && path.extname(req.path)) return files(req, res, next);
    sendIndex(req, res);
  });
  return router;
}
