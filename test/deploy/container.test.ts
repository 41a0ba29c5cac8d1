import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadConfig } from '../../src/config/config.js';
import { startTestServer } from '../support/server.js';
import { dockerfileFacts, lintDockerfile } from './dockerfile-rules.js';

/**
 * The container image and the compose setup, checked without a Docker daemon (CI has none): the Dockerfile by
 * the rules in dockerfile-rules.ts, its HEALTHCHECK command run against a real server, and deploy/compose.yaml
 * against the Compose specification's JSON schema plus what the schema cannot know (the variables our
 * configuration reads, the services each one depends on, the load balancer's upstreams).
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const dockerfile = read('Dockerfile');
const facts = dockerfileFacts(dockerfile);

/** Every environment variable src/config reads (it is the only module that reads process.env). */
const configVariables = new Set([...read('src/config/config.ts').matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));

describe('Dockerfile', () => {
  it('keeps the rules: pinned bases, multi-stage, non-root, HEALTHCHECK, EXPOSE, no ADD of URLs', () => {
    expect(lintDockerfile(dockerfile)).toEqual([]);
    expect(facts.stages.map((s) => s.name)).toEqual(['build', 'runtime']);
  });

  it('configures the server by environment: the exposed port, the data volume and the listen address are the ones it uses', () => {
    for (const name of Object.keys(facts.env).filter((n) => n.startsWith('OPENEXPERT_'))) expect(configVariables, name).toContain(name);
    const config = loadConfig({}, facts.env);
    expect(facts.exposed).toEqual([config.port]);
    expect(config.host).toBe('0.0.0.0');
    expect(facts.volumes).toEqual([config.home]);
    expect(facts.user).toBe('node');
    expect(facts.healthcheck).toContain('/api/v1/health');
  });

  it('answers its HEALTHCHECK command from a running server, and fails it when none answers', async () => {
    const command = JSON.parse(facts.healthcheck!.replace(/^.*?CMD\s+/s, '')) as string[];
    expect(command[0]).toBe('node');
    const server = await startTestServer();
    const run = (port: number) =>
      new Promise<number>((resolve) => {
        execFile(process.execPath, command.slice(1), { env: { ...process.env, OPENEXPERT_PORT: String(port) }, timeout: 20_000 }, (err) => resolve(err ? Number(err.code ?? 1) : 0));
      });
    try {
      expect(await run(Number(new URL(server.url).port))).toBe(0);
    } finally {
      await server.close();
    }
    expect(await run(Number(new URL(server.url).port))).toBe(1);
  }, 60_000);

  it('finds what it is there to find', () => {
    const good = dockerfile;
    const cases: [string, string][] = [
      [good.replaceAll('FROM node:22.21.1-bookworm-slim', 'FROM node:22-slim'), 'pinned-base'],
      [good.replace('FROM node:22.21.1-bookworm-slim AS runtime', 'FROM node:latest AS runtime'), 'pinned-base'],
      [good.replace('FROM node:22.21.1-bookworm-slim AS build', 'FROM node AS build'), 'pinned-base'],
      [good.replace('USER node', 'USER root'), 'non-root'],
      [good.replace('USER node', ''), 'non-root'],
      [good.replace(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, ''), 'healthcheck'],
      [good.replace('EXPOSE 5000', ''), 'expose'],
      [`${good}\nADD https://example.com/tool.tar.gz /opt/\n`, 'no-add-url'],
      [good.replace('--no-install-recommends postgresql-client', 'postgresql-client'), 'apt-recommends'],
      [good.replace(/FROM node:[^\n]* AS runtime[\s\S]*$/, ''), 'multi-stage'],
      [good.replace(/COPY --from=build/g, 'COPY'), 'multi-stage'],
    ];
    for (const [text, rule] of cases) expect(lintDockerfile(text).map((f) => f.rule), rule).toContain(rule);
  });

  it('keeps the build context to what the build needs', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    for (const heavy of ['node_modules', '.git', 'dist']) expect(ignored).toContain(heavy);
    for (const needed of ['src', 'web', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
      expect(fs.existsSync(path.join(root, needed)), needed).toBe(true);
      expect(ignored, needed).not.toContain(needed);
    }
  });
});

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  command?: string[];
}

describe('deploy/compose.yaml', () => {
  const compose = YAML.parse(read('deploy/compose.yaml'), { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
  const services = compose.services;
  const openexpert = Object.entries(services).filter(([, s]) => s.build !== undefined);
  const replicas = openexpert.filter(([, s]) => s.command === undefined);
  /** What `docker compose` substitutes for `${VAR:?message}` once the operator exported the secrets. */
  const interpolate = (value: string) => value.replace(/\$\{([A-Z_]+)(?::\?[^}]*)?\}/g, (_, name: string) => `secret-${name.toLowerCase()}`);
  const dependsOn = (name: string): Set<string> => {
    const direct = Object.keys(services[name]?.depends_on ?? {});
    return new Set([...direct, ...direct.flatMap((d) => [...dependsOn(d)])]);
  };

  it('is valid under the Compose specification schema', () => {
    // The schema names its meta-schema as http://…/draft/2019-09/schema#, which Ajv registers under https without
    // the fragment, and labels subschemas with draft-04 `id` strings, which Ajv 8 refuses; they only label.
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
    // The spec's own formats: Go durations, and port / expose strings the schema leaves to the engine.
    ajv.addFormat('duration', /^([0-9.]+(ns|us|ms|s|m|h))+$/);
    ajv.addFormat('ports', true);
    ajv.addFormat('expose', true);
    const validate = ajv.compile(JSON.parse(read('deploy/schemas/compose-spec.json'), (key, value: unknown) => (key === 'id' && typeof value === 'string' ? undefined : value)) as object);
    const valid = validate(YAML.parse(read('deploy/compose.yaml'), { merge: true }));
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
    const misspelt = YAML.parse(read('deploy/compose.yaml'), { merge: true }) as { services: Record<string, Record<string, unknown>> };
    misspelt.services.lb!.enviroment = { A: '1' };
    expect(validate(misspelt)).toBe(false);
  });

  it('sets only variables the server reads, and they parse into the scaled setup', () => {
    expect(replicas.length).toBeGreaterThanOrEqual(2);
    for (const [name, service] of openexpert) {
      const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
      for (const key of Object.keys(env)) expect(configVariables, `${name}: ${key}`).toContain(key);
      const config = loadConfig({}, { ...facts.env, ...env });
      expect(new URL(config.dbUrl).protocol).toBe('postgres:');
      expect(config.artifactsUri).toMatch(/^s3:\/\//);
      expect(config.auth).toBe(true);
      expect(config.trustProxy).toBe(true);
    }
  });

  it('starts each service after what it uses', () => {
    for (const [name, service] of openexpert) {
      const config = loadConfig({}, { ...facts.env, ...Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))])) });
      const needs = dependsOn(name);
      expect(needs, `${name} uses the database`).toContain(new URL(config.dbUrl).hostname);
      expect(services[new URL(config.dbUrl).hostname]).toBeDefined();
      if (service.command !== undefined) continue; // `db migrate` touches the database only
      expect(needs, `${name} uses the S3 endpoint`).toContain(new URL(config.s3.endpoint!).hostname);
      // The bucket is made before the server writes to it.
      expect(needs).toContain('minio-bucket');
    }
    for (const [name] of replicas) expect(services[name]!.depends_on?.migrate?.condition, name).toBe('service_completed_successfully');
    const lb = services.lb!;
    expect(new Set(Object.keys(lb.depends_on ?? {}))).toEqual(new Set(replicas.map(([name]) => name)));
  });

  it('balances over every replica on the port the image listens on', () => {
    const mount = services.lb!.volumes!.map((v) => v.split(':')).find(([, target]) => target!.startsWith('/etc/nginx/'))!;
    const conf = read(path.join('deploy', mount[0]!));
    const upstreams = [...conf.matchAll(/^\s*server\s+([\w-]+):(\d+)/gm)].map((m) => ({ host: m[1]!, port: Number(m[2]) }));
    expect(upstreams.map((u) => u.host).sort()).toEqual(replicas.map(([name]) => name).sort());
    for (const u of upstreams) expect(u.port).toBe(facts.exposed[0]);
    expect(conf).toMatch(/proxy_set_header X-Forwarded-For/);
    expect(conf).toMatch(/client_max_body_size 0;/);
  });

  it('pins every image and declares every named volume', () => {
    for (const [name, service] of Object.entries(services)) {
      const tag = service.image?.split(':')[1];
      expect(tag, `${name}: ${service.image}`).toBeDefined();
      expect(tag, name).not.toBe('latest');
      expect(tag, name).toMatch(/\d+\.\d+|RELEASE\./);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('.')) expect(compose.volumes, `${name}: ${source}`).toHaveProperty(source);
      }
    }
  });
});
