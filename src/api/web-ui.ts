import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * The built web UI (`vite build` writes it to `<package>/dist/web`). The package root is found by walking
 * up from this file, so the compiled server (dist/src/api) and the sources run by tsx or vitest (src/api)
 * serve the same build.
 */
export function builtWebUiDir(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) {
      const ui = path.join(dir, 'dist', 'web');
      return fs.existsSync(path.join(ui, 'index.html')) ? ui : undefined;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Paths the single-page app must never answer with index.html: an API client or a missing bundle wants a real 404. */
const NOT_APP_PATHS = /^\/(api|ajax-api|assets)(\/|$)/;

/**
 * Serves the UI at `/`. Files are registered one route each (no wildcard route), so API routes, their
 * per-surface 404s and /metrics keep precedence; any other GET falls back to index.html so deep links load the app.
 */
export function registerWebUi(app: FastifyInstance, { dir }: { dir: string | undefined } = { dir: builtWebUiDir() }): void {
  if (!dir) {
    app.get('/', async (_request, reply) =>
      reply.type('text/plain').send('The OpenExpert web UI is not built. Run `npm run build` (it runs `vite build`), then restart the server.\n'));
    return;
  }
  void app.register(fastifyStatic, {
    root: dir,
    wildcard: false,
    index: false,
    cacheControl: false,
    setHeaders: (res, file) => {
      // Vite puts a content hash in every file name under assets/, so those never change.
      const immutable = path.relative(dir, file).startsWith(`assets${path.sep}`);
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const indexHtml = fs.readFileSync(path.join(dir, 'index.html'));
  app.setNotFoundHandler((request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    if ((request.method === 'GET' || request.method === 'HEAD') && !NOT_APP_PATHS.test(pathname)) {
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml);
    }
    return reply.status(404).send({ error: { code: 'ENDPOINT_NOT_FOUND', message: `No ${request.method} endpoint at ${pathname}` } });
  });
}
