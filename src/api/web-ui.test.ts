import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { registerWebUi } from './web-ui.js';

describe('serving the web UI', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-webui-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>app</title>');
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function app(uiDir: string | undefined) {
    const app = Fastify();
    void app.register(async (scope) => {
      scope.get('/experiments', async () => ({ items: [] }));
      scope.setNotFoundHandler((_req, reply) => void reply.status(404).send({ error: { code: 'ENDPOINT_NOT_FOUND', message: 'api' } }));
    }, { prefix: '/api/v1' });
    app.get('/metrics', async () => 'metrics');
    registerWebUi(app, { dir: uiDir });
    await app.ready();
    return app;
  }

  it('answers deep links with the app, serves hashed assets as immutable and leaves API routes alone', async () => {
    const a = await app(dir);
    const deep = await a.inject({ url: '/runs/abc/metrics?x=time' });
    expect(deep.statusCode).toBe(200);
    expect(deep.headers['content-type']).toContain('text/html');
    expect(deep.body).toBe('<!doctype html><title>app</title>');
    const asset = await a.inject({ url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await a.inject({ url: '/api/v1/experiments' })).json()).toEqual({ items: [] });
    expect((await a.inject({ url: '/api/v1/nope' })).json()).toEqual({ error: { code: 'ENDPOINT_NOT_FOUND', message: 'api' } });
    expect((await a.inject({ url: '/metrics' })).body).toBe('metrics');
    expect((await a.inject({ url: '/assets/gone.js' })).statusCode).toBe(404);
    expect((await a.inject({ url: '/ajax-api/2.0/mlflow/x' })).statusCode).toBe(404);
    const post = await a.inject({ method: 'POST', url: '/runs/abc' });
    expect(post.statusCode).toBe(404);
    expect(post.json()).toMatchObject({ error: { code: 'ENDPOINT_NOT_FOUND' } });
    await a.close();
  });

  it('says how to build the UI when there is no build', async () => {
    const a = await app(undefined);
    const res = await a.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('npm run build');
    await a.close();
  });
});
