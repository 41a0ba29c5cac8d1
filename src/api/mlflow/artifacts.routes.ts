import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalid } from '../../core/errors.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import { sent, type Route } from '../surface.js';
import { Int64 } from '../wire-types.js';

/**
 * MLflow's artifact proxy (`/api/2.0/mlflow-artifacts`): uploads and downloads stream through the
 * server to the configured store. Multipart uploads hand out part URLs that lead back here.
 */
const ListQuery = z.object({ path: z.string().optional() });
const MpuCreate = z.object({ path: z.string().min(1), num_parts: Int64.optional() });
const MpuPart = z.object({ part_number: Int64, etag: z.string(), url: z.string().optional() });
const MpuComplete = z.object({ path: z.string().min(1), upload_id: z.string().min(1), parts: z.array(MpuPart).min(1) });
const MpuAbort = z.object({ path: z.string().min(1), upload_id: z.string().min(1) });
const PartQuery = z.object({ upload_id: z.string().min(1), part_number: z.string().regex(/^\d+$/, 'must be an integer').transform(Number) });
const MAX_PARTS = 10_000;

/** Uploads are streams: no parser may buffer them, whatever content type the client declares. */
export function configureArtifactScope(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (request, payload, done) => {
    if (request.method === 'PUT') return done(null, payload);
    // The mpu endpoints are JSON; read them with the ordinary size limit.
    const chunks: Buffer[] = [];
    let size = 0;
    payload.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1024 * 1024) payload.destroy(invalid('Request body too large'));
      else chunks.push(c);
    });
    payload.on('error', (err) => done(err, undefined));
    payload.on('end', () => {
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        done(null, text ? JSON.parse(text) : {});
      } catch {
        done(invalid('Request body is not valid JSON'), undefined);
      }
    });
  });
}

const wildcard = (params: Record<string, string>) => params['*'] ?? '';
const contentLength = (request: FastifyRequest): number | undefined => {
  const header = request.headers['content-length'];
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
};
/** The file a multipart upload writes: MLflow sends the directory in the URL and the local file name in the body. */
const mpuTarget = (dir: string, localFile: string) => [dir, path.posix.basename(localFile.replace(/\\/g, '/'))].filter(Boolean).join('/');

export function artifactRoutes(s: Services): Route[] {
  return [
    {
      method: 'GET', path: '/artifacts',
      handler: async ({ actor, query }) => {
        const dir = (parse(ListQuery, query).path ?? '').replace(/^\/+|\/+$/g, '');
        const entries = await s.artifacts.list(actor, dir);
        if (entries.length === 0) return {};
        return { files: entries.map((e) => (e.isDir ? { path: e.path, is_dir: true } : { path: e.path, is_dir: false, file_size: e.size })) };
      },
    },
    {
      method: 'GET', path: '/artifacts/*',
      handler: async ({ actor, params, reply, request }) => {
        const range = parseRange(request.headers.range);
        const file = await s.artifacts.download(actor, wildcard(params), range);
        void reply.header('content-type', 'application/octet-stream').header('accept-ranges', 'bytes');
        if (file.sha256) void reply.header('x-artifact-sha256', file.sha256);
        if (range) {
          const end = Math.min(range.end ?? file.size - 1, file.size - 1);
          void reply.status(206).header('content-range', `bytes ${range.start}-${end}/${file.size}`).header('content-length', end - range.start + 1);
        } else {
          void reply.header('content-length', file.size);
        }
        return sent(reply.send(file.body));
      },
    },
    {
      method: 'PUT', path: '/artifacts/*',
      handler: async ({ actor, params, request }) => {
        await s.artifacts.upload(actor, wildcard(params), request.body as NodeJS.ReadableStream, contentLength(request));
        return {};
      },
    },
    {
      method: 'DELETE', path: '/artifacts/*',
      handler: async ({ actor, params }) => {
        await s.artifacts.delete(actor, wildcard(params));
        return {};
      },
    },
    {
      method: 'POST', path: '/mpu/create/*',
      handler: async ({ actor, params, body, request }) => {
        const b = parse(MpuCreate, body);
        const numParts = b.num_parts ?? 1;
        if (numParts < 1 || numParts > MAX_PARTS) throw invalid(`Invalid value for parameter 'num_parts': must be 1..${MAX_PARTS}`);
        const target = mpuTarget(wildcard(params), b.path);
        const uploadId = await s.artifacts.createMultipartUpload(actor, target);
        const base = `${request.protocol}://${request.host}/api/2.0/mlflow-artifacts/mpu/part/${target.split('/').map(encodeURIComponent).join('/')}`;
        return {
          upload_id: uploadId,
          credentials: Array.from({ length: numParts }, (_, i) => ({
            part_number: i + 1,
            url: `${base}?upload_id=${encodeURIComponent(uploadId)}&part_number=${i + 1}`,
            headers: {},
          })),
        };
      },
    },
    {
      method: 'PUT', path: '/mpu/part/*',
      handler: async ({ actor, params, query, request, reply }) => {
        const q = parse(PartQuery, query);
        const length = contentLength(request);
        if (length === undefined) throw invalid('A part upload needs a Content-Length header');
        const part = await s.artifacts.uploadPart(actor, wildcard(params), q.upload_id, q.part_number, request.body as NodeJS.ReadableStream, length);
        void reply.header('etag', part.etag);
        return {};
      },
    },
    {
      method: 'POST', path: '/mpu/complete/*',
      handler: async ({ actor, params, body }) => {
        const b = parse(MpuComplete, body);
        await s.artifacts.completeMultipartUpload(actor, mpuTarget(wildcard(params), b.path), b.upload_id,
          b.parts.map((p) => ({ partNumber: p.part_number, etag: p.etag })));
        return {};
      },
    },
    {
      method: 'POST', path: '/mpu/abort/*',
      handler: async ({ actor, params, body }) => {
        const b = parse(MpuAbort, body);
        await s.artifacts.abortMultipartUpload(actor, mpuTarget(wildcard(params), b.path), b.upload_id);
        return {};
      },
    },
  ];
}

/** One `bytes=start-end` range (what resumable downloaders send); anything fancier gets the whole file. */
function parseRange(header: string | undefined): { start: number; end?: number } | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] ? Number(m[2]) : undefined;
  if (end !== undefined && end < start) throw invalid(`Invalid Range header '${header}'`);
  return end === undefined ? { start } : { start, end };
}
