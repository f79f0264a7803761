// docker-compose.yml and the Dockerfile cannot be run here (no Docker), so this checks what they
// promise against the code they run: the services exist and wait for each other properly, the
// app environment passes the real config validation, the addresses name real services, the search
// attributes are the ones the workflows use, and the image holds every source the processes import.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../config.js';
import { cliTypeName, searchAttributeKeys } from '../../workflows/search-attributes.js';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (file: string): string => readFileSync(path.join(rootDir, file), 'utf8');

interface Healthcheck { test?: string | string[]; disable?: boolean }
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: Healthcheck;
  ports?: (string | number | { target: number; published?: string | number })[];
}
interface ComposeFile { services: Record<string, Service> }

const compose = parse(read('docker-compose.yml')) as ComposeFile;
const services = compose.services;

function service(name: string): Service {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service '${name}'`);
  return found;
}

/** Compose interpolation as a user with none of the variables set would get it. */
function interpolate(value: string, env: Record<string, string> = {}): string {
  return value.replace(/\$\$|\$\{([A-Za-z_]\w*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_]\w*)/g,
    (match, braced: string | undefined, colon: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare)!;
      const current = env[name];
      const missing = colon ? !current : current === undefined;
      if (!missing) return current!;
      if (op === '-') return arg ?? '';
      if (op === '?') throw new Error(`${name} is required: ${arg}`);
      return '';
    });
}

function rawEnvironment(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => {
      const eq = entry.indexOf('=');
      return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function environment(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(rawEnvironment(name)).map(([k, v]) => [k, interpolate(v)]));
}

function dependencies(name: string): Record<string, string> {
  const deps = service(name).depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([d, v]) => [d, v.condition ?? 'service_started']));
}

/** host port → container port, for every published port of a service. */
function publishedPorts(name: string): Map<number, number> {
  const result = new Map<number, number>();
  for (const port of service(name).ports ?? []) {
    if (typeof port === 'object') {
      if (port.published !== undefined) result.set(Number(port.published), port.target);
      continue;
    }
    const parts = String(port).replace(/\/(tcp|udp)$/, '').split(':');
    if (parts.length < 2) continue; // container port only: not published on a fixed host port
    result.set(Number(parts.at(-2)), Number(parts.at(-1)));
  }
  return result;
}

function commandText(name: string): string {
  const { command, entrypoint } = service(name);
  const words = (c: string | string[] | undefined): string[] => (c === undefined ? [] : Array.isArray(c) ? c : [c]);
  return interpolate([...words(entrypoint), ...words(command)].join(' '));
}

// Files the api and worker processes load at run time, found by following relative imports.
function runtimeImports(entries: string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const source = read(file);
    const specifiers = [
      ...source.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g),
      ...source.matchAll(/import\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
      ...source.matchAll(/new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g),
    ].map((m) => m[1]!);
    for (const spec of specifiers) {
      if (spec.startsWith('.')) {
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
        if (!existsSync(path.join(rootDir, resolved))) throw new Error(`${file} imports ${spec}, which does not exist`);
        queue.push(resolved);
      } else if (!spec.startsWith('node:')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
  }
  return { files, packages };
}

/** Sources of the COPY instructions that copy from the build context. */
function dockerfileCopySources(dockerfile: string): string[] {
  return dockerfile.split('\n')
    .map((line) => line.trim())
    .filter((line) => /^COPY\s/i.test(line) && !/--from=/i.test(line))
    .flatMap((line) => {
      const args = line.replace(/^COPY\s+/i, '').split(/\s+/).filter((a) => !a.startsWith('--'));
      return args.slice(0, -1).map((src) => src.replace(/^\.\//, '').replace(/\/$/, ''));
    });
}

const appServices = ['api', 'worker'] as const;

describe('docker-compose.yml', () => {
  it('defines the database, Temporal, its UI and set-up, MongoDB, the worker and the API', () => {
    for (const name of ['postgresql', 'temporal', 'temporal-admin-tools', 'temporal-ui', 'mongodb', 'worker', 'api']) {
      expect(services, `service ${name}`).toHaveProperty([name]);
    }
  });

  it('builds the api and worker from the repository Dockerfile and runs what their npm scripts run, without npm', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const name of appServices) {
      const build = service(name).build;
      const context = typeof build === 'string' ? build : build?.context;
      const dockerfile = (typeof build === 'object' && build.dockerfile) || 'Dockerfile';
      expect(context, `${name} build context`).toBe('.');
      expect(existsSync(path.join(rootDir, context!, dockerfile)), `${name} Dockerfile exists`).toBe(true);
      expect(scripts[name], `package.json script '${name}'`).toBeTruthy();
      // Not `npm run`: npm would swallow the SIGTERM of `docker compose stop` (see the Dockerfile).
      expect(commandText(name)).toBe(scripts[name]);
    }
  });

  it('gives a healthcheck to every service that another waits on as healthy', () => {
    const waitedOn = new Set<string>();
    for (const name of Object.keys(services)) {
      for (const [dep, condition] of Object.entries(dependencies(name))) {
        expect(services, `${name} depends on ${dep}`).toHaveProperty([dep]);
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
        if (condition === 'service_healthy') waitedOn.add(dep);
      }
    }
    expect(waitedOn.size).toBeGreaterThan(0);
    for (const dep of waitedOn) {
      const check = service(dep).healthcheck;
      expect(check?.disable, `${dep} healthcheck disabled`).not.toBe(true);
      const test = Array.isArray(check?.test) ? check.test : check?.test ? [check.test] : [];
      expect(test.length, `${dep} has a healthcheck`).toBeGreaterThan(0);
      expect(test[0], `${dep} healthcheck runs something`).not.toBe('NONE');
    }
  });

  it('starts the api and worker only after MongoDB is healthy and the search attributes are registered', () => {
    for (const name of appServices) {
      expect(dependencies(name)).toMatchObject({
        mongodb: 'service_healthy',
        'temporal-admin-tools': 'service_completed_successfully',
      });
    }
    expect(dependencies('temporal-admin-tools')).toMatchObject({ temporal: 'service_healthy' });
    expect(dependencies('temporal')).toMatchObject({ postgresql: 'service_healthy' });
  });

  it('gives the api and worker an environment that passes the config validation, with overridable demo keys', () => {
    for (const name of appServices) {
      const config = loadConfig(environment(name));
      expect(config.api.port).toBe(3000);
      for (const key of ['API_WRITE_KEYS', 'API_ADMIN_KEYS']) {
        expect(rawEnvironment(name)[key], `${name} ${key} can be set by the user`).toMatch(new RegExp(`^\\$\\{${key}:-[^}]{16,}\\}$`));
      }
      // The user's own keys replace the demo ones.
      const custom = Object.fromEntries(Object.entries(rawEnvironment(name)).map(([k, v]) => [k, interpolate(v, { API_WRITE_KEYS: 'my-own-write-key-0123456789' })]));
      expect(loadConfig(custom).api.writeKeys).toEqual(['my-own-write-key-0123456789']);
    }
  });

  it('has the api and worker agree on Temporal, the task queue and the database', () => {
    const [api, worker] = appServices.map((name) => loadConfig(environment(name)));
    expect(api!.temporal).toEqual(worker!.temporal);
    expect(api!.mongodbUri).toBe(worker!.mongodbUri);
  });

  it('points TEMPORAL_ADDRESS at the temporal service and MONGODB_URI at the mongodb service', () => {
    for (const name of appServices) {
      const config = loadConfig(environment(name));
      const [host, port] = config.temporal.address.split(':');
      expect(host).toBe('temporal');
      expect(services).toHaveProperty([host!]);
      expect([...publishedPorts(host!).values()]).toContain(Number(port));
      const mongo = new URL(config.mongodbUri);
      expect(mongo.hostname).toBe('mongodb');
      expect(services).toHaveProperty([mongo.hostname]);
      expect([...publishedPorts(mongo.hostname).values()]).toContain(Number(mongo.port || 27017));
    }
    for (const name of ['temporal-ui', 'temporal-admin-tools']) {
      expect(environment(name).TEMPORAL_ADDRESS, `${name} TEMPORAL_ADDRESS`).toBe(loadConfig(environment('worker')).temporal.address);
    }
  });

  it('registers exactly the workflow search attributes, with their types, in the namespace the app uses', () => {
    const script = commandText('temporal-admin-tools');
    const registrations = [...script.matchAll(/--namespace\s+(\S+)\s+--name\s+(\S+)\s+--type\s+(\S+)/g)]
      .map((m) => ({ namespace: m[1], name: m[2], type: m[3] }));
    expect(script).toContain('temporal operator search-attribute create');
    expect(registrations.map((r) => r.name).sort()).toEqual(searchAttributeKeys.map((k) => k.name).sort());
    const { namespace } = loadConfig(environment('worker')).temporal;
    for (const r of registrations) {
      expect(r.namespace).toBe(namespace);
      const key = searchAttributeKeys.find((k) => k.name === r.name)!;
      expect(r.type).toBe(cliTypeName(key.type));
    }
    // Re-running against an existing server must not fail the stack.
    expect(script).toMatch(/already exists/);
  });

  it('publishes the API on 3000, Temporal on 7233, the UI on 8233 and MongoDB on 27017', () => {
    expect(Object.fromEntries(publishedPorts('api'))).toEqual({ 3000: loadConfig(environment('api')).api.port });
    expect(Object.fromEntries(publishedPorts('temporal'))).toEqual({ 7233: 7233 });
    expect(Object.fromEntries(publishedPorts('temporal-ui'))).toEqual({ 8233: 8080 });
    expect(Object.fromEntries(publishedPorts('mongodb'))).toEqual({ 27017: 27017 });
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const runtime = runtimeImports(['api/main.ts', 'worker/main.ts']);

  it('copies every top-level folder and file the api and worker load at run time', () => {
    const topLevel = new Set([...runtime.files].map((file) => file.split('/')[0]!));
    expect([...topLevel].sort()).toEqual(expect.arrayContaining(['activities', 'api', 'config.ts', 'worker', 'workflows']));
    const copied = dockerfileCopySources(dockerfile);
    for (const entry of topLevel) {
      expect(copied.some((src) => src === '.' || src === entry), `Dockerfile copies ${entry}`).toBe(true);
    }
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim().replace(/^\/|\/$/g, ''));
    for (const entry of topLevel) expect(ignored, `.dockerignore keeps ${entry}`).not.toContain(entry);
    expect(ignored).toContain('node_modules');
  });

  it('installs every package the api and worker import, even without dev dependencies', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; scripts: Record<string, string> };
    expect(runtime.packages.size).toBeGreaterThan(0);
    for (const name of runtime.packages) expect(pkg.dependencies, `${name} is a runtime dependency`).toHaveProperty([name]);
    expect(dockerfile).toMatch(/npm ci\b/);
    if (/--omit=dev|--production/.test(dockerfile)) {
      for (const script of ['api', 'worker']) {
        const runner = pkg.scripts[script]!.split(/\s+/)[0]!;
        expect(pkg.dependencies, `${runner} (runs '${script}') is a runtime dependency`).toHaveProperty([runner]);
      }
    }
  });

  it('runs on Node 20 as the unprivileged node user and starts the API by default', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(dockerfile).toMatch(/^FROM node:20[\w.-]*/m);
    expect(dockerfile).toMatch(/^USER node\s*$/m);
    const cmd = /^CMD (\[.*\])\s*$/m.exec(dockerfile)?.[1];
    expect(cmd, 'exec-form CMD').toBeDefined();
    expect((JSON.parse(cmd!) as string[]).join(' ')).toBe(scripts.api);
  });

  it('puts the installed package binaries on PATH, as npm scripts have them', () => {
    const workdir = /^WORKDIR\s+(\S+)\s*$/m.exec(dockerfile)?.[1];
    expect(workdir).toBeDefined();
    const pathLine = /^ENV PATH[= ](\S+)\s*$/m.exec(dockerfile)?.[1];
    expect(pathLine?.split(':')).toContain(path.posix.join(workdir!, 'node_modules/.bin'));
  });
});
