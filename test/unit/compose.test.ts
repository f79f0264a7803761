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
import { toMs } from '../../workflows/duration.js';

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

// Merge keys (`<<: *closedloop-environment`) as compose resolves them.
const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
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

/** The secrets a user puts in `.env` (compose refuses to start without them). */
const userSecrets: Record<string, string> = {
  API_WRITE_KEYS: 'my-own-write-key-0123456789',
  API_ADMIN_KEYS: 'my-own-admin-key-0123456789',
  TRACKING_SECRET: 'my-own-tracking-secret-0123456789abcdef',
  PROVIDER_SIGNING_SECRET: 'my-own-provider-secret-0123456789abcdef',
};

function environment(name: string, env: Record<string, string> = userSecrets): Record<string, string> {
  return Object.fromEntries(Object.entries(rawEnvironment(name)).map(([k, v]) => [k, interpolate(v, env)]));
}

/** Every variable config.ts reads that holds a secret (keys and secrets; lists of them too). */
function secretVariables(): string[] {
  const source = read('config.ts');
  const env = source.slice(source.indexOf('const EnvFields = z.object({'));
  const names = env.slice(0, env.indexOf('\n});')).split('\n').map((line) => /^ {2}([A-Z][A-Z0-9_]*):/.exec(line)?.[1]);
  return [...new Set(names)].filter((name): name is string => name !== undefined && /SECRET|_KEYS$/.test(name));
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

  it('gives the api and worker an environment that passes the config validation once the user has set the secrets', () => {
    for (const name of appServices) {
      const config = loadConfig(environment(name));
      expect(config.api.port).toBe(3000);
      expect(config.api.writeKeys).toEqual([userSecrets.API_WRITE_KEYS]);
      expect(config.api.adminKeys).toEqual([userSecrets.API_ADMIN_KEYS]);
      expect(config.channels.signingSecret).toBe(userSecrets.PROVIDER_SIGNING_SECRET);
      expect(JSON.stringify(config)).toContain(userSecrets.TRACKING_SECRET);
    }
  });

  it('ships no secret: each one config.ts requires stops `docker compose up` with a message naming it, the optional ones stay empty', () => {
    const secrets = secretVariables();
    expect(secrets).toEqual(expect.arrayContaining(Object.keys(userSecrets)));
    for (const name of appServices) {
      const raw = rawEnvironment(name);
      for (const secret of secrets) {
        expect(raw, `${name} passes ${secret}`).toHaveProperty([secret]);
        // No default value anywhere: required (`:?`) or, for the optional ones, empty (`:-}`).
        expect(raw[secret], `${name} ${secret}`).toMatch(new RegExp(`^\\$\\{${secret}(:\\?[^}]*${secret}[^}]*|:-)\\}$`));
      }
      for (const secret of Object.keys(userSecrets)) {
        expect(raw[secret], `${name} requires ${secret}`).toMatch(/^\$\{\w+:\?/);
        const { [secret]: _unset, ...others } = userSecrets;
        expect(() => environment(name, others), `${name} without ${secret}`).toThrow(new RegExp(`${secret} is required: set ${secret} \\(`));
        expect(() => environment(name, { ...others, [secret]: '' }), `${name} with an empty ${secret}`).toThrow(secret);
      }
    }
    // The demo values of `npm start` (config.ts's defaults) never reach the stack.
    expect(read('docker-compose.yml')).not.toMatch(/change-me|not-for-production|demo-/);
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
      expect([host, port]).toEqual(['temporal', '7233']);
      expect(services).toHaveProperty([host!]);
      const mongo = new URL(config.mongodbUri);
      expect([mongo.hostname, mongo.port || '27017']).toEqual(['mongodb', '27017']);
      expect(services).toHaveProperty([mongo.hostname]);
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

  it('publishes only the API (3000) and the Temporal UI (8233, on 127.0.0.1): MongoDB, PostgreSQL and Temporal stay inside the compose network', () => {
    expect(Object.fromEntries(publishedPorts('api'))).toEqual({ 3000: loadConfig(environment('api')).api.port });
    expect(service('temporal-ui').ports).toEqual(['127.0.0.1:8233:8080']);
    for (const name of ['mongodb', 'postgresql', 'temporal', 'temporal-admin-tools', 'worker', 'sender']) {
      expect(service(name).ports, `${name} publishes no port`).toBeUndefined();
      expect(service(name), `${name} uses the host's network`).not.toHaveProperty('network_mode');
    }
  });
});

describe('docker-compose.yml: the Temporal topology the bench measured', () => {
  const provision = read('scripts/temporal-server/provision.sh');
  const measuredVersion = /^SERVER_VERSION=(\S+)$/m.exec(provision)?.[1];

  it('runs the Temporal Server version the bench builds (scripts/temporal-server/provision.sh), with admin tools of the same version', () => {
    expect(measuredVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(service('temporal').image).toBe(`temporalio/server:${measuredVersion}`);
    for (const name of ['temporal-schema', 'temporal-admin-tools']) expect(service(name).image, name).toBe(`temporalio/admin-tools:${measuredVersion}`);
    expect(read('docker-compose.yml')).not.toMatch(/temporalio\/auto-setup/);
  });

  it('keeps Temporal on PostgreSQL, with the schema set up by the SQL tool before the server starts', () => {
    expect(environment('temporal')).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    expect(service('postgresql').image).toMatch(/^postgres:\d+/);
    expect(dependencies('temporal-schema')).toMatchObject({ postgresql: 'service_healthy' });
    expect(dependencies('temporal')).toMatchObject({ 'temporal-schema': 'service_completed_successfully' });
    const script = commandText('temporal-schema');
    expect(script).toContain('temporal-sql-tool');
    for (const step of ['create-database', 'setup-schema -v 0.0', 'update-schema -d']) expect(script, step).toContain(step);
    // Both databases, each with its own versioned schema from the image.
    expect(script).toContain('for pair in temporal:temporal temporal_visibility:visibility');
    expect(script).toContain('/etc/temporal/schema/postgresql/v12/$schema/versioned');
    expect(environment('temporal-schema').SQL_PLUGIN).toBe('postgres12');
    expect(service('temporal-schema').ports).toBeUndefined();
  });

  it('creates the namespace the app uses before registering the search attributes', () => {
    const script = commandText('temporal-admin-tools');
    const { namespace } = loadConfig(environment('worker')).temporal;
    const create = script.indexOf(`temporal operator namespace create --namespace ${namespace}`);
    expect(create).toBeGreaterThanOrEqual(0);
    expect(create).toBeLessThan(script.indexOf('temporal operator search-attribute create'));
  });

  it('gives the worker longer to stop than its own drain, so a deploy does not SIGKILL sends in flight', () => {
    const worker = service('worker') as Service & { stop_grace_period?: string };
    const seconds = Number(/^(\d+)s$/.exec(worker.stop_grace_period ?? '')?.[1]);
    const drain = toMs(loadConfig({ MONGODB_URI: 'mongodb://x/y', API_WRITE_KEYS: 'k'.repeat(16), API_ADMIN_KEYS: 'a'.repeat(16) }).workerShutdownGrace) / 1000;
    expect(seconds).toBeGreaterThan(drain);
  });

  it('lets the worker scale (`--scale worker=N`): no fixed container name or host port, and the README says how', () => {
    const worker = service('worker') as Service & { container_name?: string };
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(read('README.md')).toMatch(/docker compose up[^\n`]*--scale worker=\d/);
  });

  it('runs senders only when asked (profile `senders`): the worker\'s image, command and environment with WORKER_ROLE=sends, scalable', () => {
    const sender = service('sender') as Service & { profiles?: string[]; container_name?: string; stop_grace_period?: string };
    expect(sender.profiles).toEqual(['senders']);
    expect(commandText('sender')).toBe(commandText('worker'));
    expect(sender.build).toEqual(service('worker').build);
    expect(sender.container_name).toBeUndefined();
    expect(sender.stop_grace_period).toBe((service('worker') as { stop_grace_period?: string }).stop_grace_period);
    expect(dependencies('sender')).toEqual(dependencies('worker'));
    const { WORKER_ROLE: role, ...others } = environment('sender');
    expect(role).toBe('sends');
    const { WORKER_ROLE: workerRole, ...workerOthers } = environment('worker');
    expect(others).toEqual(workerOthers);
    expect(loadConfig(environment('sender')).workerRole).toBe('sends');
    // The worker runs everything unless told to leave the sends to the senders.
    expect(workerRole).toBe('all');
    expect(loadConfig(environment('worker', { ...userSecrets, WORKER_ROLE: 'workflows' })).workerRole).toBe('workflows');
    expect(read('README.md')).toMatch(/WORKER_ROLE=workflows docker compose --profile senders up[^\n`]*--scale sender=\d/);
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
    // The image's own stage: the last WORKDIR (the console is built in a stage before it).
    const workdir = [...dockerfile.matchAll(/^WORKDIR\s+(\S+)\s*$/gm)].at(-1)?.[1];
    expect(workdir).toBeDefined();
    const pathLine = /^ENV PATH[= ](\S+)\s*$/m.exec(dockerfile)?.[1];
    expect(pathLine?.split(':')).toContain(path.posix.join(workdir!, 'node_modules/.bin'));
  });
});
