import { z } from 'zod';
import { safeArtifactPath } from '../../artifacts/safe-path.js';
import { invalid } from '../../core/errors.js';
import { artifactPathOf, joinArtifactPath } from '../../domain/artifacts/artifact-uri.js';
import type { ArtifactEntry } from '../../artifacts/artifact-store.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import type { Route } from '../surface.js';

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

/** A path under an artifact root, checked as MLflow checks it (no `..`, not absolute); `''` is the root. */
const relativePath = (raw: string | undefined) => (raw === undefined || raw === '' ? '' : safeArtifactPath(raw));

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
        return reply.send(stored.body);
      },
    },
  ];
}
