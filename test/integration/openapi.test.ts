// The OpenAPI document: valid OpenAPI 3.1, served as it is built, and describing exactly the routes
// the app has (a route added without its description, or a described route removed, fails here).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import SwaggerParser from '@apidevtools/swagger-parser';
import { openApiDocument } from '../../api/openapi.js';
import { startStack, type Stack } from '../setup/stack.js';

let stack: Stack;
beforeAll(async () => { stack = await startStack({ worker: false }); });
afterAll(async () => { await stack?.stop(); });

const methods = ['get', 'post', 'put', 'delete', 'patch'] as const;

/** Every `METHOD /path` the app routes, from Express's router stack (paths as OpenAPI writes them). */
function appRoutes(): string[] {
  const found: string[] = [];
  const walk = (stack: any[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods).filter((m) => layer.route.methods[m])) {
          found.push(`${method.toUpperCase()} ${String(layer.route.path).replace(/:(\w+)/g, '{$1}')}`);
        }
      } else if (Array.isArray(layer.handle?.stack)) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((stack.app as any).router.stack);
  return found.sort();
}

function documentedRoutes(): string[] {
  const paths = openApiDocument().paths ?? {};
  return Object.entries(paths).flatMap(([path, item]) =>
    methods.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`)).sort();
}

describe('OpenAPI document', () => {
  it('is valid OpenAPI 3.1, every $ref resolving', async () => {
    const doc = openApiDocument();
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('names every path parameter it templates, and no operation id twice', () => {
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(openApiDocument().paths ?? {})) {
      for (const method of methods) {
        const op = item[method];
        if (!op) continue;
        const declared = (op.parameters ?? []).filter((p) => 'in' in p && p.in === 'path').map((p) => ('name' in p ? p.name : ''));
        expect(declared.sort(), `${method} ${path}`).toEqual([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort());
        expect(ids.has(op.operationId!), op.operationId).toBe(false);
        ids.add(op.operationId!);
      }
    }
  });

  it('describes every route the app has, and only those', () => {
    const routes = appRoutes();
    expect(routes.length).toBeGreaterThan(30);
    expect(documentedRoutes()).toEqual(routes);
  });

  it('is served at /openapi.json without a key, and browsable at /docs', async () => {
    const json = await request(stack.app).get('/openapi.json').expect(200).expect('Content-Type', /json/);
    expect(json.body).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    const page = await request(stack.app).get('/docs').expect(200).expect('Content-Type', /html/);
    expect(page.text).toContain('/docs/swagger-ui-bundle.js');
    // The page's inline start-up script runs by its hash; nothing else inline, nothing from elsewhere.
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    await request(stack.app).get('/docs/swagger-ui-bundle.js').expect(200).expect('Content-Type', /javascript/);
    await request(stack.app).get('/docs/package.json').expect(404);
  });
});
