import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { safeArtifactPath } from '../../artifacts/safe-path.js';
import { invalid } from '../../core/errors.js';
import { artifactPathOf, joinArtifactPath } from '../../domain/artifacts/artifact-uri.js';
import type { ArtifactEntry } from '../../artifacts/artifact-store.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import { sent, type Route } from '../surface.js';

/**
 * MLflow's endpoints for browsing the files of a run or a logged model by id (what its web UI and
 * `MlflowClient.list_artifacts` against a non-proxied server call), answered from the artifact proxy's store.
 * Paths in the answer are relative to the run's (or model's) artifact root, as MLflow gives them.
 */
const ListRunArtifacts = z.object({
  run_id: z.string().min(1).optional(),
  run_uuid: z.string().min(1).optional(),
  path: z.string().optional(),
  page_token: z.string().optional(),
});
const ListModelArtifacts = z.object({ artifact_directory_path: z.string().optional() });
const ModelFile = z.object({ artifact_file_path: z.string().optional() });
const ModelId = z.object({ model_id: z.string().min(1) });
const RunFile = z.object({ run_id: z.string().optional(), run_uuid: z.string().optional(), path: z.string().optional() });
const VersionFile = z.object({ name: z.string().optional(), version: z.string().optional(), path: z.string().optional() });
const Upload = z.object({ run_uuid: z.string().optional(), path: z.string().optional() });

/** MLflow's limit for an upload from its web UI (the whole file is one request body). */
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const TOO_LARGE = 'Artifact size is too large. Max size is 10MB.';

/** A path under an artifact root, checked as MLflow checks it (no `..`, not absolute); `''` is the root. */
const relativePath = (raw: string | undefined) => (raw === undefined || raw === '' ? '' : safeArtifactPath(raw));

/** A required path for the download endpoints: MLflow's server answers a missing one with a bare 400. */
function requiredPath(raw: string | undefined): string {
  if (raw === undefined) throw invalid("Missing value for required parameter 'path'");
  return relativePath(raw);
}

/** The names MLflow's server sends as text/plain (mlflow/utils/mime_type_utils.py), and the media types its UI renders. */
const TEXT_NAMES = new Set(['txt', 'log', 'err', 'cfg', 'conf', 'cnf', 'cf', 'ini', 'properties', 'prop', 'hocon', 'toml', 'yaml', 'yml',
  'xml', 'json', 'js', 'py', 'py3', 'csv', 'tsv', 'md', 'rst', 'MLmodel', 'MLproject']);
const MEDIA_TYPES: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', bmp: 'image/bmp', svg: 'image/svg+xml', webp: 'image/webp',
  tif: 'image/tiff', tiff: 'image/tiff', html: 'text/html', htm: 'text/html', pdf: 'application/pdf', geojson: 'application/geo+json',
};

export function mediaTypeOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot + 1) : name;
  if (TEXT_NAMES.has(extension)) return 'text/plain';
  return MEDIA_TYPES[extension.toLowerCase()] ?? 'application/octet-stream';
}

/**
 * A stored file as MLflow's server sends one from its UI endpoints: always an attachment, never sniffed, so a
 * file someone uploaded cannot run as a page of this server's origin.
 */
async function sendAttachment(reply: FastifyReply, file: { body: Readable; size: number }, path: string) {
  const name = path.slice(path.lastIndexOf('/') + 1);
  void reply
    .header('content-type', mediaTypeOf(path))
    .header('content-disposition', `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`)
    .header('x-content-type-options', 'nosniff')
    .header('content-length', file.size);
  return sent(reply.send(file.body));
}

/** Reads an upload into memory, refusing it past MLflow's limit. */
async function readUpload(body: unknown, declared: string | undefined): Promise<Buffer> {
  if (declared !== undefined && Number(declared) > MAX_UPLOAD_BYTES) throw invalid(TOO_LARGE);
  if (body === undefined || body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_UPLOAD_BYTES) throw invalid(TOO_LARGE);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function filesOf(entries: readonly ArtifactEntry[], dir: string) {
  return entries.map((e) => {
    const path = dir === '' ? e.path : `${dir}/${e.path}`;
    return e.isDir ? { path, is_dir: true } : { path, is_dir: false, file_size: e.size };
  });
}

export function artifactBrowsingRoutes(s: Services): Route[] {
  return [
    {
      method: 'GET', path: '/artifacts/list',
      handler: async ({ actor, query }) => {
        const q = parse(ListRunArtifacts, query);
        const runId = q.run_id ?? q.run_uuid;
        if (!runId) throw invalid("Missing value for required parameter 'run_id'");
        const dir = relativePath(q.path);
        const run = await s.runs.get(actor, runId);
        const entries = await s.artifacts.list(actor, joinArtifactPath(artifactPathOf(run.info.artifactUri), dir));
        return { root_uri: run.info.artifactUri, ...(entries.length > 0 ? { files: filesOf(entries, dir) } : {}) };
      },
    },
    {
      // MLflow's web UI uploads a file of a run this way: the whole file as the body, where it goes in the query.
      method: 'POST', path: '/upload-artifact', rawBody: true,
      handler: async ({ actor, query, request }) => {
        const q = parse(Upload, query);
        if (!q.run_uuid) throw invalid('Request must specify run_uuid.');
        if (!q.path) throw invalid('Request must specify path.');
        const path = relativePath(q.path);
        if (path === '') throw invalid('Request must specify path.');
        const data = await readUpload(request.body, request.headers['content-length']);
        if (data.length === 0) throw invalid('Request must specify data.');
        const run = await s.runs.get(actor, q.run_uuid);
        await s.artifacts.upload(actor, joinArtifactPath(artifactPathOf(run.info.artifactUri), path), Readable.from([data]), data.length);
        return {};
      },
    },
    {
      method: 'GET', path: '/logged-models/:model_id/artifacts/directories',
      handler: async ({ actor, params, query }) => {
        const model = await s.loggedModels.get(actor, parse(ModelId, params).model_id);
        const dir = relativePath(parse(ListModelArtifacts, query).artifact_directory_path);
        const entries = await s.artifacts.list(actor, joinArtifactPath(artifactPathOf(model.artifactLocation), dir));
        return { root_uri: model.artifactLocation, ...(entries.length > 0 ? { files: filesOf(entries, dir) } : {}) };
      },
    },
    {
      method: 'GET', path: '/logged-models/:model_id/artifacts/files',
      handler: async ({ actor, params, query, reply }) => {
        const file = parse(ModelFile, query).artifact_file_path;
        if (!file) throw invalid('Request must include the "artifact_file_path" query parameter.');
        const model = await s.loggedModels.get(actor, parse(ModelId, params).model_id);
        const stored = await s.artifacts.download(actor, joinArtifactPath(artifactPathOf(model.artifactLocation), relativePath(file)));
        void reply.header('content-type', 'application/octet-stream').header('content-length', stored.size);
        return sent(reply.send(stored.body));
      },
    },
  ];
}

/**
 * The download endpoints MLflow's server answers at its root, outside the API prefixes: its web UI links a run's
 * files and a model version's files here.
 */
export function artifactDownloadRoutes(s: Services): Route[] {
  return [
    {
      method: 'GET', path: '/get-artifact',
      handler: async ({ actor, query, reply }) => {
        const q = parse(RunFile, query);
        const path = requiredPath(q.path);
        const runId = q.run_id || q.run_uuid;
        if (!runId) throw invalid("Missing value for required parameter 'run_id'");
        const run = await s.runs.get(actor, runId);
        return sendAttachment(reply, await s.artifacts.download(actor, joinArtifactPath(artifactPathOf(run.info.artifactUri), path)), path);
      },
    },
    {
      method: 'GET', path: '/model-versions/get-artifact',
      handler: async ({ actor, query, reply }) => {
        const q = parse(VersionFile, query);
        const path = requiredPath(q.path);
        if (!q.name) throw invalid("Missing value for required parameter 'name'");
        if (!q.version) throw invalid("Missing value for required parameter 'version'");
        const location = await s.registry.artifactLocation(actor, q.name, q.version);
        return sendAttachment(reply, await s.artifacts.download(actor, joinArtifactPath(artifactPathOf(location), path)), path);
      },
    },
  ];
}
