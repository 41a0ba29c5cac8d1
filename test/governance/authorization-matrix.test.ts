/**
 * The authorization matrix, generated from the route table: every API route must have an entry below saying what
 * it needs (a level on an object, a workspace role, admin, or nothing beyond signing in), and the test calls it as
 * a member holding each of MLflow's levels on that object (or as each role) and asserts allowed or denied. A new
 * route without an entry fails the first test; a route whose service forgets its check fails the matrix.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSION_LEVELS, levelRank, type ObjectKind, type Permission } from '../../src/domain/access/access.js';
import { TEST_ADMIN, basicAuth, startAuthApp } from '../support/auth-app.js';
import { linearModel } from '../support/onnx-models.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Need =
  | { readonly on: ObjectKind; readonly level: Permission; readonly also?: readonly [ObjectKind, Permission][] }
  | { readonly workspace: 'READ' | 'EDIT' | 'MANAGE' }
  /** A level in a project, given by the caller's role in it (viewer READ, editor EDIT, admin MANAGE). */
  | { readonly project: 'READ' | 'EDIT' | 'MANAGE' }
  | 'admin'
  | 'signed-in'
  | 'public';
interface Req {
  readonly url: string;
  readonly body?: unknown;
  readonly raw?: { readonly payload: string | Buffer; readonly contentType: string };
}
interface Case {
  readonly need: Need;
  readonly req: (f: Fixture) => Req;
  /** Changes or removes its object: each call gets objects of its own. */
  readonly fresh?: boolean;
}
interface Fixture {
  readonly n: number;
  readonly exp: string;
  readonly run: string;
  readonly model: string;
  readonly dataset: string;
  readonly monitor: string;
  readonly rule: string;
  /** A retrain request the monitor's retrain rule set off. */
  readonly retrain: string;
  readonly deployment: string;
  readonly request: number;
  readonly evaluation: string;
  readonly comparison: string;
  readonly loggedModel: string;
  readonly artifact: string;
  /** A second captured run of the experiment, reproducing `run`. */
  readonly run2: string;
  readonly reproduction: string;
  readonly pipelineRun: string;
  /** A sweep in the experiment: trial 0 complete, trial 1 running. */
  readonly sweep: string;
  /** A project the admin made (and so administers); the subject user's role in it is what the test sets. */
  readonly project: string;
  /** A feature view in that project, over a CSV file on the server's disk. */
  readonly featureView: string;
  /** An LLM trace and a cost budget in that project. */
  readonly trace: string;
  readonly budget: string;
  /** A compute budget on the experiment (high enough never to stop anything). */
  readonly computeBudget: string;
  /** A prompt (a registered model to the permission model: grants on registered_model cover it too). */
  readonly prompt: string;
  /** An explanation of the model's version 1 (an ONNX linear model). */
  readonly explanation: string;
  /** A review queue of pushed items, with one item. */
  readonly queue: string;
  readonly queueItem: string;
}

const ADMIN = TEST_ADMIN;
const basic = basicAuth;
const asAdmin = basic(ADMIN.user, ADMIN.password);
const USERS = { vic: 'viewer', sam: 'member', max: 'maintainer' } as const;
/** Only the admin changes pat (the MLflow password and admin-flag endpoints). */
const PAT = 'pat';
const as = (u: keyof typeof USERS) => basic(u, `${u}-password`);
const M = '/api/2.0/mlflow';
const V1 = '/api/v1';
const A = '/api/2.0/mlflow-artifacts';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const SWEEP_CONFIG = { method: 'random', metric: { name: 'm' }, parameters: { x: { type: 'uniform', min: 0, max: 1 } } };
const q = (o: Record<string, string | number>) => `?${new URLSearchParams(Object.entries(o).map(([k, v]): [string, string] => [k, String(v)])).toString()}`;

const exp = (level: Permission, also?: [ObjectKind, Permission][]): Need => ({ on: 'experiment', level, ...(also ? { also } : {}) });
const model = (level: Permission, also?: [ObjectKind, Permission][]): Need => ({ on: 'registered_model', level, ...(also ? { also } : {}) });
const data = (level: Permission): Need => ({ on: 'dataset', level });
const mon = (level: Permission): Need => ({ on: 'monitor', level });
const fv = (level: Permission): Need => ({ on: 'feature_view', level });
const rq = (level: Permission): Need => ({ on: 'review_queue', level });
const featureCsv = path.join(os.tmpdir(), `oe-matrix-features-${process.pid}.csv`);
const featureRepo = (view: string, tag: string) => ({
  entities: [{ name: 'mxuser', join_keys: { mxuser_id: 'int64' } }],
  feature_views: [{ name: view, entity: 'mxuser', source: { path: featureCsv }, ttl: '0', tags: { t: tag }, schema: [{ name: 'mxuser_spend_sum_7d', dtype: 'float64' }] }],
});
const dep = (level: Permission, also?: [ObjectKind, Permission][]): Need => ({ on: 'deployment', level, ...(also ? { also } : {}) });
const ws = (workspace: 'READ' | 'EDIT' | 'MANAGE'): Need => ({ workspace });
const proj = (project: 'READ' | 'EDIT' | 'MANAGE'): Need => ({ project });
const predictions = { columns: { y: [0, 1, 0, 1, 1, 0], p: [0.1, 0.9, 0.3, 0.7, 0.6, 0.2], p2: [0.2, 0.8, 0.4, 0.6, 0.4, 0.5] } };
const capture = {
  command: ['python3', 'train.py'], cwd: '', exitCode: 0, wallTimeMs: 1,
  environment: { os: { platform: 'linux', release: '6', arch: 'x64' } }, hardware: { cpus: 2, cpuModel: 'cpu', memoryBytes: 1 },
};
const pipelineRun = (f: { exp: string }) => ({
  name: 'p', experimentId: f.exp, status: 'running', fileSha256: '0'.repeat(64), startedAt: 1, steps: [{ name: 'a', needs: [], state: 'pending' }],
});
const rows = (k: number) => ({ rows: Array.from({ length: 20 }, (_, i) => ({ id: `r${k}-${i}`, x: i * k, score: (i % 10) / 10 })) });

/** Keyed by method and path as registered (MLflow routes under /api/2.0; /ajax-api serves the same table). */
const CASES: Record<string, Case> = {
  // ── MLflow tracking ──
  'POST /api/2.0/mlflow/experiments/create': { need: ws('EDIT'), req: (f) => ({ url: `${M}/experiments/create`, body: { name: `new-${f.n}-${Math.random()}` } }) },
  'GET /api/2.0/mlflow/experiments/get': { need: exp('READ'), req: (f) => ({ url: `${M}/experiments/get${q({ experiment_id: f.exp })}` }) },
  'GET /api/2.0/mlflow/experiments/get-by-name': { need: exp('READ'), req: (f) => ({ url: `${M}/experiments/get-by-name${q({ experiment_name: `mx-${f.n}` })}` }) },
  'POST /api/2.0/mlflow/experiments/search': { need: ws('READ'), req: () => ({ url: `${M}/experiments/search`, body: { max_results: 10 } }) },
  'GET /api/2.0/mlflow/experiments/search': { need: ws('READ'), req: () => ({ url: `${M}/experiments/search?max_results=10` }) },
  'POST /api/2.0/mlflow/experiments/update': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${M}/experiments/update`, body: { experiment_id: f.exp, new_name: `renamed-${f.n}` } }) },
  'POST /api/2.0/mlflow/experiments/delete': { need: exp('MANAGE'), fresh: true, req: (f) => ({ url: `${M}/experiments/delete`, body: { experiment_id: f.exp } }) },
  'POST /api/2.0/mlflow/experiments/restore': { need: exp('MANAGE'), req: (f) => ({ url: `${M}/experiments/restore`, body: { experiment_id: f.exp } }) },
  'POST /api/2.0/mlflow/experiments/set-experiment-tag': { need: exp('EDIT'), req: (f) => ({ url: `${M}/experiments/set-experiment-tag`, body: { experiment_id: f.exp, key: 'k', value: 'v' } }) },
  'POST /api/2.0/mlflow/experiments/delete-experiment-tag': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${M}/experiments/delete-experiment-tag`, body: { experiment_id: f.exp, key: 'team' } }) },
  'DELETE /api/2.0/mlflow/experiments/delete-experiment-tag': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${M}/experiments/delete-experiment-tag`, body: { experiment_id: f.exp, key: 'team' } }) },
  'POST /api/2.0/mlflow/runs/create': { need: exp('EDIT'), req: (f) => ({ url: `${M}/runs/create`, body: { experiment_id: f.exp, start_time: 1 } }) },
  'POST /api/2.0/mlflow/runs/update': { need: exp('EDIT'), req: (f) => ({ url: `${M}/runs/update`, body: { run_id: f.run, status: 'FINISHED', end_time: 2 } }) },
  'POST /api/2.0/mlflow/runs/delete': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${M}/runs/delete`, body: { run_id: f.run } }) },
  'POST /api/2.0/mlflow/runs/restore': { need: exp('EDIT'), req: (f) => ({ url: `${M}/runs/restore`, body: { run_id: f.run } }) },
  'GET /api/2.0/mlflow/runs/get': { need: exp('READ'), req: (f) => ({ url: `${M}/runs/get${q({ run_id: f.run })}` }) },
  'POST /api/2.0/mlflow/runs/log-metric': { need: exp('EDIT'), req: (f) => ({ url: `${M}/runs/log-metric`, body: { run_id: f.run, key: 'm2', value: 1, timestamp: 1, step: 0 } }) },
  'POST /api/2.0/mlflow/runs/log-parameter': { need: exp('EDIT'), req: (f) => ({ url: `${M}/runs/log-parameter`, body: { run_id: f.run, key: `p-${Math.random()}`, value: '1' } }) },
  'POST /api/2.0/mlflow/runs/set-tag': { need: exp('EDIT'), req: (f) => ({ url: `${M}/runs/set-tag`, body: { run_id: f.run, key: 'k', value: 'v' } }) },
  'POST /api/2.0/mlflow/runs/delete-tag': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${M}/runs/delete-tag`, body: { run_id: f.run, key: 'stage' } }) },
  'DELETE /api/2.0/mlflow/runs/delete-tag': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${M}/runs/delete-tag`, body: { run_id: f.run, key: 'stage' } }) },
  'POST /api/2.0/mlflow/runs/log-batch': { need: exp('EDIT'), req: (f) => ({ url: `${M}/runs/log-batch`, body: { run_id: f.run, metrics: [{ key: 'm3', value: 1, timestamp: 1, step: 0 }] } }) },
  'POST /api/2.0/mlflow/runs/log-inputs': { need: exp('EDIT'), req: (f) => ({ url: `${M}/runs/log-inputs`, body: { run_id: f.run, datasets: [{ dataset: { name: 'd', digest: 'abc', source_type: 'local', source: '{}' } }] } }) },
  'POST /api/2.0/mlflow/runs/search': { need: exp('READ'), req: (f) => ({ url: `${M}/runs/search`, body: { experiment_ids: [f.exp] } }) },
  'GET /api/2.0/mlflow/metrics/get-history': { need: exp('READ'), req: (f) => ({ url: `${M}/metrics/get-history${q({ run_id: f.run, metric_key: 'm' })}` }) },
  'GET /api/2.0/mlflow/metrics/get-history-bulk': { need: exp('READ'), req: (f) => ({ url: `${M}/metrics/get-history-bulk${q({ run_id: f.run, metric_key: 'm' })}` }) },
  'GET /api/2.0/mlflow/metrics/get-history-bulk-interval': { need: exp('READ'), req: (f) => ({ url: `${M}/metrics/get-history-bulk-interval${q({ run_ids: f.run, metric_key: 'm', max_results: 10 })}` }) },
  'POST /api/2.0/mlflow/logged-models': { need: exp('EDIT'), req: (f) => ({ url: `${M}/logged-models`, body: { experiment_id: f.exp, name: 'lm' } }) },
  'POST /api/2.0/mlflow/experiments/search-datasets': { need: exp('READ'), req: (f) => ({ url: `${M}/experiments/search-datasets`, body: { experiment_ids: [f.exp] } }) },
  'GET /api/2.0/mlflow/artifacts/list': { need: exp('READ'), req: (f) => ({ url: `${M}/artifacts/list${q({ run_id: f.run })}` }) },
  'POST /api/2.0/mlflow/upload-artifact': { need: exp('EDIT'), req: (f) => ({ url: `${M}/upload-artifact${q({ run_uuid: f.run, path: 'uploaded.txt' })}`, raw: { payload: 'hello', contentType: 'text/plain' } }) },
  // MLflow's web UI downloads at the server root.
  'GET /get-artifact': { need: exp('READ'), req: (f) => ({ url: `/get-artifact${q({ run_id: f.run, path: 'notes.txt' })}` }) },
  // The version's files are the run's: reading them takes the experiment as well.
  'GET /model-versions/get-artifact': { need: model('READ', [['experiment', 'READ']]), req: (f) => ({ url: `/model-versions/get-artifact${q({ name: f.model, version: 1, path: 'readme.txt' })}` }) },
  'GET /api/2.0/mlflow/logged-models/:model_id/artifacts/directories': { need: exp('READ'), req: (f) => ({ url: `${M}/logged-models/${f.loggedModel}/artifacts/directories` }) },
  'GET /api/2.0/mlflow/logged-models/:model_id/artifacts/files': { need: exp('READ'), req: (f) => ({ url: `${M}/logged-models/${f.loggedModel}/artifacts/files${q({ artifact_file_path: 'MLmodel' })}` }) },
  'POST /api/2.0/mlflow/logged-models/search': { need: exp('READ'), req: (f) => ({ url: `${M}/logged-models/search`, body: { experiment_ids: [f.exp] } }) },
  'GET /api/2.0/mlflow/logged-models/:model_id': { need: exp('READ'), req: (f) => ({ url: `${M}/logged-models/${f.loggedModel}` }) },
  'PATCH /api/2.0/mlflow/logged-models/:model_id': { need: exp('EDIT'), req: (f) => ({ url: `${M}/logged-models/${f.loggedModel}`, body: { status: 'LOGGED_MODEL_READY' } }) },
  'DELETE /api/2.0/mlflow/logged-models/:model_id': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${M}/logged-models/${f.loggedModel}` }) },
  'PATCH /api/2.0/mlflow/logged-models/:model_id/tags': { need: exp('EDIT'), req: (f) => ({ url: `${M}/logged-models/${f.loggedModel}/tags`, body: { tags: [{ key: 'k', value: 'v' }] } }) },
  'DELETE /api/2.0/mlflow/logged-models/:model_id/tags/:tag_key': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${M}/logged-models/${f.loggedModel}/tags/flavor` }) },
  'POST /api/2.0/mlflow/logged-models/:model_id/params': { need: exp('EDIT'), req: (f) => ({ url: `${M}/logged-models/${f.loggedModel}/params`, body: { params: [{ key: `p${Math.random()}`, value: '1' }] } }) },
  'POST /api/2.0/mlflow/runs/outputs': { need: exp('EDIT'), req: (f) => ({ url: `${M}/runs/outputs`, body: { run_id: f.run, models: [{ model_id: f.loggedModel, step: 0 }] } }) },
  // ── MLflow registry ──
  'POST /api/2.0/mlflow/registered-models/create': { need: ws('EDIT'), req: (f) => ({ url: `${M}/registered-models/create`, body: { name: `new-model-${f.n}-${Math.random()}` } }) },
  'GET /api/2.0/mlflow/registered-models/get': { need: model('READ'), req: (f) => ({ url: `${M}/registered-models/get${q({ name: f.model })}` }) },
  'POST /api/2.0/mlflow/registered-models/rename': { need: model('EDIT'), fresh: true, req: (f) => ({ url: `${M}/registered-models/rename`, body: { name: f.model, new_name: `${f.model}-renamed` } }) },
  'PATCH /api/2.0/mlflow/registered-models/update': { need: model('EDIT'), req: (f) => ({ url: `${M}/registered-models/update`, body: { name: f.model, description: 'd' } }) },
  'DELETE /api/2.0/mlflow/registered-models/delete': { need: model('MANAGE'), fresh: true, req: (f) => ({ url: `${M}/registered-models/delete`, body: { name: f.model } }) },
  'GET /api/2.0/mlflow/registered-models/search': { need: ws('READ'), req: () => ({ url: `${M}/registered-models/search` }) },
  'POST /api/2.0/mlflow/registered-models/set-tag': { need: model('EDIT'), req: (f) => ({ url: `${M}/registered-models/set-tag`, body: { name: f.model, key: 'k', value: 'v' } }) },
  'DELETE /api/2.0/mlflow/registered-models/delete-tag': { need: model('EDIT'), fresh: true, req: (f) => ({ url: `${M}/registered-models/delete-tag`, body: { name: f.model, key: 'owner' } }) },
  'GET /api/2.0/mlflow/registered-models/get-latest-versions': { need: model('READ'), req: (f) => ({ url: `${M}/registered-models/get-latest-versions${q({ name: f.model })}` }) },
  'POST /api/2.0/mlflow/registered-models/get-latest-versions': { need: model('READ'), req: (f) => ({ url: `${M}/registered-models/get-latest-versions`, body: { name: f.model } }) },
  'POST /api/2.0/mlflow/registered-models/alias': { need: model('EDIT'), req: (f) => ({ url: `${M}/registered-models/alias`, body: { name: f.model, alias: 'blue', version: '1' } }) },
  'DELETE /api/2.0/mlflow/registered-models/alias': { need: model('EDIT'), fresh: true, req: (f) => ({ url: `${M}/registered-models/alias`, body: { name: f.model, alias: 'live' } }) },
  'GET /api/2.0/mlflow/registered-models/alias': { need: model('READ'), req: (f) => ({ url: `${M}/registered-models/alias${q({ name: f.model, alias: 'live' })}` }) },
  'POST /api/2.0/mlflow/model-versions/create': { need: model('EDIT', [['experiment', 'READ']]), req: (f) => ({ url: `${M}/model-versions/create`, body: { name: f.model, source: `mlflow-artifacts:/${f.exp}/${f.run}/artifacts/model`, run_id: f.run } }) },
  'GET /api/2.0/mlflow/model-versions/get': { need: model('READ'), req: (f) => ({ url: `${M}/model-versions/get${q({ name: f.model, version: 1 })}` }) },
  'PATCH /api/2.0/mlflow/model-versions/update': { need: model('EDIT'), req: (f) => ({ url: `${M}/model-versions/update`, body: { name: f.model, version: '1', description: 'd' } }) },
  'DELETE /api/2.0/mlflow/model-versions/delete': { need: model('EDIT'), fresh: true, req: (f) => ({ url: `${M}/model-versions/delete`, body: { name: f.model, version: '1' } }) },
  'GET /api/2.0/mlflow/model-versions/search': { need: ws('READ'), req: (f) => ({ url: `${M}/model-versions/search${q({ filter: `name='${f.model}'` })}` }) },
  'POST /api/2.0/mlflow/model-versions/transition-stage': { need: model('EDIT'), fresh: true, req: (f) => ({ url: `${M}/model-versions/transition-stage`, body: { name: f.model, version: '1', stage: 'Staging', archive_existing_versions: false } }) },
  'GET /api/2.0/mlflow/model-versions/get-download-uri': { need: model('READ'), req: (f) => ({ url: `${M}/model-versions/get-download-uri${q({ name: f.model, version: 1 })}` }) },
  'POST /api/2.0/mlflow/model-versions/set-tag': { need: model('EDIT'), req: (f) => ({ url: `${M}/model-versions/set-tag`, body: { name: f.model, version: '1', key: 'k', value: 'v' } }) },
  'DELETE /api/2.0/mlflow/model-versions/delete-tag': { need: model('EDIT'), fresh: true, req: (f) => ({ url: `${M}/model-versions/delete-tag`, body: { name: f.model, version: '1', key: 'k' } }) },
  // ── MLflow's basic-auth app endpoints ──
  'POST /api/2.0/mlflow/users/create': { need: 'admin', req: (f) => ({ url: `${M}/users/create`, body: { username: `mu${f.n}-${Math.floor(Math.random() * 1e9)}`, password: 'long-enough-1' } }) },
  'GET /api/2.0/mlflow/users/get': { need: 'admin', req: () => ({ url: `${M}/users/get?username=root` }) },
  'GET /api/2.0/mlflow/users/current': { need: 'signed-in', req: () => ({ url: `${M}/users/current` }) },
  'GET /api/2.0/mlflow/users/list': { need: 'admin', req: () => ({ url: `${M}/users/list` }) },
  'PATCH /api/2.0/mlflow/users/update-password': { need: 'admin', req: () => ({ url: `${M}/users/update-password`, body: { username: 'pat', password: 'pat-password' } }) },
  'PATCH /api/2.0/mlflow/users/update-admin': { need: 'admin', req: () => ({ url: `${M}/users/update-admin`, body: { username: 'pat', is_admin: false } }) },
  'DELETE /api/2.0/mlflow/users/delete': { need: 'admin', req: () => ({ url: `${M}/users/delete`, body: { username: 'nobody-here' } }) },
  'POST /api/2.0/mlflow/experiments/permissions/create': { need: exp('MANAGE'), req: (f) => ({ url: `${M}/experiments/permissions/create`, body: { experiment_id: f.exp, username: 'vic', permission: 'READ' } }) },
  'GET /api/2.0/mlflow/experiments/permissions/get': { need: exp('MANAGE'), req: (f) => ({ url: `${M}/experiments/permissions/get${q({ experiment_id: f.exp, username: 'sam' })}` }) },
  'PATCH /api/2.0/mlflow/experiments/permissions/update': { need: exp('MANAGE'), req: (f) => ({ url: `${M}/experiments/permissions/update`, body: { experiment_id: f.exp, username: 'vic', permission: 'READ' } }) },
  'DELETE /api/2.0/mlflow/experiments/permissions/delete': { need: exp('MANAGE'), req: (f) => ({ url: `${M}/experiments/permissions/delete`, body: { experiment_id: f.exp, username: 'vic' } }) },
  'POST /api/2.0/mlflow/registered-models/permissions/create': { need: model('MANAGE'), req: (f) => ({ url: `${M}/registered-models/permissions/create`, body: { name: f.model, username: 'vic', permission: 'READ' } }) },
  'GET /api/2.0/mlflow/registered-models/permissions/get': { need: model('MANAGE'), req: (f) => ({ url: `${M}/registered-models/permissions/get${q({ name: f.model, username: 'sam' })}` }) },
  'PATCH /api/2.0/mlflow/registered-models/permissions/update': { need: model('MANAGE'), req: (f) => ({ url: `${M}/registered-models/permissions/update`, body: { name: f.model, username: 'vic', permission: 'READ' } }) },
  'DELETE /api/2.0/mlflow/registered-models/permissions/delete': { need: model('MANAGE'), req: (f) => ({ url: `${M}/registered-models/permissions/delete`, body: { name: f.model, username: 'vic' } }) },
  // ── MLflow artifacts: the experiment is the path's first segment ──
  'GET /api/2.0/mlflow-artifacts/artifacts': { need: exp('READ'), req: (f) => ({ url: `${A}/artifacts${q({ path: `${f.exp}/${f.run}/artifacts` })}` }) },
  'GET /api/2.0/mlflow-artifacts/artifacts/*': { need: exp('READ'), req: (f) => ({ url: `${A}/artifacts/${f.artifact}` }) },
  'PUT /api/2.0/mlflow-artifacts/artifacts/*': { need: exp('EDIT'), req: (f) => ({ url: `${A}/artifacts/${f.exp}/${f.run}/artifacts/new.txt`, raw: { payload: 'hello', contentType: 'application/octet-stream' } }) },
  'DELETE /api/2.0/mlflow-artifacts/artifacts/*': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${A}/artifacts/${f.artifact}` }) },
  'POST /api/2.0/mlflow-artifacts/mpu/create/*': { need: exp('EDIT'), req: (f) => ({ url: `${A}/mpu/create/${f.exp}/${f.run}/artifacts/big.bin`, body: { path: 'big.bin', num_parts: 1 } }) },
  'PUT /api/2.0/mlflow-artifacts/mpu/part/*': { need: exp('EDIT'), req: (f) => ({ url: `${A}/mpu/part/${f.exp}/${f.run}/artifacts/big.bin?upload_id=none&part_number=1`, raw: { payload: 'x', contentType: 'application/octet-stream' } }) },
  'POST /api/2.0/mlflow-artifacts/mpu/complete/*': { need: exp('EDIT'), req: (f) => ({ url: `${A}/mpu/complete/${f.exp}/${f.run}/artifacts/big.bin`, body: { path: 'big.bin', upload_id: 'none', parts: [{ part_number: 1, etag: 'x' }] } }) },
  'POST /api/2.0/mlflow-artifacts/mpu/abort/*': { need: exp('EDIT'), req: (f) => ({ url: `${A}/mpu/abort/${f.exp}/${f.run}/artifacts/big.bin`, body: { path: 'big.bin', upload_id: 'none' } }) },
  // ── native tracking ──
  'GET /api/v1/health': { need: 'public', req: () => ({ url: `${V1}/health` }) },
  'GET /api/v1/version': { need: 'public', req: () => ({ url: `${V1}/version` }) },
  'GET /api/v1/openapi.json': { need: 'public', req: () => ({ url: `${V1}/openapi.json` }) },
  'POST /api/v1/experiments': { need: ws('EDIT'), req: (f) => ({ url: `${V1}/experiments`, body: { name: `native-${f.n}-${Math.random()}` } }) },
  'GET /api/v1/experiments': { need: ws('READ'), req: () => ({ url: `${V1}/experiments` }) },
  'GET /api/v1/experiments/:id': { need: exp('READ'), req: (f) => ({ url: `${V1}/experiments/${f.exp}` }) },
  'GET /api/v1/experiments/by-name/:name': { need: exp('READ'), req: (f) => ({ url: `${V1}/experiments/by-name/mx-${f.n}` }) },
  'GET /api/v1/experiments/:id/views': { need: exp('READ'), req: (f) => ({ url: `${V1}/experiments/${f.exp}/views` }) },
  'PUT /api/v1/experiments/:id/views/:name': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/experiments/${f.exp}/views/mine`, body: { query: 'filter=metrics.m+%3E+0' } }) },
  'DELETE /api/v1/experiments/:id/views/:name': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${V1}/experiments/${f.exp}/views/best` }) },
  'PATCH /api/v1/experiments/:id': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${V1}/experiments/${f.exp}`, body: { name: `patched-${f.n}` } }) },
  'DELETE /api/v1/experiments/:id': { need: exp('MANAGE'), fresh: true, req: (f) => ({ url: `${V1}/experiments/${f.exp}` }) },
  'POST /api/v1/experiments/:id/restore': { need: exp('MANAGE'), req: (f) => ({ url: `${V1}/experiments/${f.exp}/restore` }) },
  'POST /api/v1/runs': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/runs`, body: { experimentId: f.exp } }) },
  'GET /api/v1/runs/:id': { need: exp('READ'), req: (f) => ({ url: `${V1}/runs/${f.run}` }) },
  'PATCH /api/v1/runs/:id': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/runs/${f.run}`, body: { status: 'FINISHED' } }) },
  'DELETE /api/v1/runs/:id': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${V1}/runs/${f.run}` }) },
  'POST /api/v1/runs/:id/restore': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/runs/${f.run}/restore` }) },
  'POST /api/v1/runs/:id/batch': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/runs/${f.run}/batch`, body: { metrics: [{ key: 'n', value: 1, timestamp: 1, step: 0 }] } }) },
  'POST /api/v1/runs/search': { need: exp('READ'), req: (f) => ({ url: `${V1}/runs/search`, body: { experimentIds: [f.exp] } }) },
  'GET /api/v1/runs/:id/metrics/:key/history': { need: exp('READ'), req: (f) => ({ url: `${V1}/runs/${f.run}/metrics/m/history` }) },
  'POST /api/v1/runs/metric-histories': { need: exp('READ'), req: (f) => ({ url: `${V1}/runs/metric-histories`, body: { runIds: [f.run], keys: ['m'] } }) },
  // ── monitoring ──
  'POST /api/v1/monitors': { need: ws('EDIT'), req: (f) => ({ url: `${V1}/monitors`, body: { name: `mon-new-${f.n}-${Math.floor(Math.random() * 1e9)}` } }) },
  'GET /api/v1/monitors': { need: ws('READ'), req: () => ({ url: `${V1}/monitors` }) },
  'GET /api/v1/monitors/:monitor': { need: mon('READ'), req: (f) => ({ url: `${V1}/monitors/${f.monitor}` }) },
  'DELETE /api/v1/monitors/:monitor': { need: mon('MANAGE'), fresh: true, req: (f) => ({ url: `${V1}/monitors/${f.monitor}` }) },
  'PUT /api/v1/monitors/:monitor/reference': { need: mon('EDIT'), req: (f) => ({ url: `${V1}/monitors/${f.monitor}/reference`, body: rows(2) }) },
  'POST /api/v1/monitors/:monitor/ingest': { need: mon('EDIT'), req: (f) => ({ url: `${V1}/monitors/${f.monitor}/ingest`, body: rows(3) }) },
  'POST /api/v1/monitors/:monitor/labels': { need: mon('EDIT'), req: (f) => ({ url: `${V1}/monitors/${f.monitor}/labels`, body: { labels: [{ predictionId: 'r1-1', label: 1 }] } }) },
  'POST /api/v1/monitors/:monitor/windows/close': { need: mon('EDIT'), req: (f) => ({ url: `${V1}/monitors/${f.monitor}/windows/close`, body: {} }) },
  'GET /api/v1/monitors/:monitor/windows': { need: mon('READ'), req: (f) => ({ url: `${V1}/monitors/${f.monitor}/windows` }) },
  'GET /api/v1/monitors/:monitor/windows/:windowId': { need: mon('READ'), req: (f) => ({ url: `${V1}/monitors/${f.monitor}/windows/none` }) },
  'GET /api/v1/monitors/:monitor/windows/:windowId/report.html': { need: mon('READ'), req: (f) => ({ url: `${V1}/monitors/${f.monitor}/windows/none/report.html` }) },
  'GET /api/v1/monitors/:monitor/status': { need: mon('READ'), req: (f) => ({ url: `${V1}/monitors/${f.monitor}/status` }) },
  'POST /api/v1/monitors/:monitor/alert-rules': { need: mon('EDIT'), req: (f) => ({ url: `${V1}/monitors/${f.monitor}/alert-rules`, body: { name: `r${Math.floor(Math.random() * 1e9)}`, figure: 'dataset_drift_share', op: '>=', threshold: 0.5 } }) },
  'GET /api/v1/monitors/:monitor/alert-rules': { need: mon('READ'), req: (f) => ({ url: `${V1}/monitors/${f.monitor}/alert-rules` }) },
  'GET /api/v1/monitors/:monitor/deliveries': { need: mon('READ'), req: (f) => ({ url: `${V1}/monitors/${f.monitor}/deliveries` }) },
  'GET /api/v1/monitors/:monitor/retrain-requests': { need: mon('READ'), req: (f) => ({ url: `${V1}/monitors/${f.monitor}/retrain-requests` }) },
  'POST /api/v1/retrain-requests/:requestId/outcome': { need: mon('EDIT'), req: (f) => ({ url: `${V1}/retrain-requests/${f.retrain}/outcome`, body: { status: 'failed', detail: 'matrix' } }) },
  'GET /api/v1/alerts': { need: ws('READ'), req: () => ({ url: `${V1}/alerts` }) },
  'GET /api/v1/alerts/:ruleId': { need: mon('READ'), req: (f) => ({ url: `${V1}/alerts/${f.rule}` }) },
  'DELETE /api/v1/alerts/:ruleId': { need: mon('EDIT'), fresh: true, req: (f) => ({ url: `${V1}/alerts/${f.rule}` }) },
  'POST /api/v1/alerts/:ruleId/silence': { need: mon('EDIT'), req: (f) => ({ url: `${V1}/alerts/${f.rule}/silence`, body: { durationMs: 1000 } }) },
  'DELETE /api/v1/alerts/:ruleId/silence': { need: mon('EDIT'), req: (f) => ({ url: `${V1}/alerts/${f.rule}/silence` }) },
  'POST /api/v1/monitoring/report': { need: ws('READ'), req: () => ({ url: `${V1}/monitoring/report`, body: { reference: rows(1), current: rows(2) } }) },
  // ── native registry and promotions ──
  'GET /api/v1/models': { need: ws('READ'), req: () => ({ url: `${V1}/models` }) },
  'POST /api/v1/models': { need: ws('EDIT'), req: (f) => ({ url: `${V1}/models`, body: { name: `native-model-${f.n}-${Math.random()}` } }) },
  'GET /api/v1/models/:name': { need: model('READ'), req: (f) => ({ url: `${V1}/models/${f.model}` }) },
  'PATCH /api/v1/models/:name': { need: model('EDIT'), req: (f) => ({ url: `${V1}/models/${f.model}`, body: { description: 'x' } }) },
  'DELETE /api/v1/models/:name': { need: model('MANAGE'), fresh: true, req: (f) => ({ url: `${V1}/models/${f.model}` }) },
  'GET /api/v1/models/:name/versions': { need: model('READ'), req: (f) => ({ url: `${V1}/models/${f.model}/versions` }) },
  'POST /api/v1/models/:name/versions': { need: model('EDIT', [['experiment', 'READ']]), req: (f) => ({ url: `${V1}/models/${f.model}/versions`, body: { source: `mlflow-artifacts:/${f.exp}/${f.run}/artifacts/model`, runId: f.run } }) },
  'GET /api/v1/models/:name/versions/:version': { need: model('READ'), req: (f) => ({ url: `${V1}/models/${f.model}/versions/1` }) },
  'GET /api/v1/models/:name/versions/:version/checks': { need: model('READ'), req: (f) => ({ url: `${V1}/models/${f.model}/versions/1/checks?target=Production` }) },
  'GET /api/v1/models/:name/history': { need: model('READ'), req: (f) => ({ url: `${V1}/models/${f.model}/history` }) },
  'POST /api/v1/models/:name/rollback': { need: model('MANAGE'), req: (f) => ({ url: `${V1}/models/${f.model}/rollback`, body: {} }) },
  'GET /api/v1/models/:name/policy': { need: model('READ'), req: (f) => ({ url: `${V1}/models/${f.model}/policy` }) },
  'PUT /api/v1/models/:name/policy': { need: model('MANAGE'), req: (f) => ({ url: `${V1}/models/${f.model}/policy`, body: { stages: {}, aliases: {} } }) },
  'DELETE /api/v1/models/:name/policy': { need: model('MANAGE'), req: (f) => ({ url: `${V1}/models/${f.model}/policy` }) },
  'POST /api/v1/promotion-requests': { need: model('EDIT'), req: (f) => ({ url: `${V1}/promotion-requests`, body: { name: f.model, version: 1, target: 'champion' } }) },
  'GET /api/v1/promotion-requests': { need: ws('READ'), req: () => ({ url: `${V1}/promotion-requests` }) },
  'GET /api/v1/promotion-requests/:id': { need: model('READ'), req: (f) => ({ url: `${V1}/promotion-requests/${f.request}` }) },
  'POST /api/v1/promotion-requests/:id/approve': { need: model('EDIT'), fresh: true, req: (f) => ({ url: `${V1}/promotion-requests/${f.request}/approve`, body: {} }) },
  'POST /api/v1/promotion-requests/:id/reject': { need: model('EDIT'), fresh: true, req: (f) => ({ url: `${V1}/promotion-requests/${f.request}/reject`, body: {} }) },
  // Only the requester withdraws: a member holding MANAGE who did not ask is still refused.
  'POST /api/v1/promotion-requests/:id/withdraw': { need: 'admin', fresh: true, req: (f) => ({ url: `${V1}/promotion-requests/${f.request}/withdraw`, body: {} }) },
  // ── serving ──
  'POST /api/v1/deployments': { need: model('USE'), req: (f) => ({ url: `${V1}/deployments`, body: { name: `dep-new-${f.n}-${Math.floor(Math.random() * 1e9)}`, model: f.model, alias: 'live', allowUnready: true, runtime: { kind: 'external', url: 'http://127.0.0.1:9', protocol: 'v2' } } }) },
  'GET /api/v1/deployments': { need: ws('READ'), req: () => ({ url: `${V1}/deployments` }) },
  'GET /api/v1/deployments/:name': { need: dep('READ'), req: (f) => ({ url: `${V1}/deployments/${f.deployment}` }) },
  'PATCH /api/v1/deployments/:name': { need: dep('EDIT'), req: (f) => ({ url: `${V1}/deployments/${f.deployment}`, body: { logging: { sampleRate: 1 } } }) },
  'DELETE /api/v1/deployments/:name': { need: dep('MANAGE'), fresh: true, req: (f) => ({ url: `${V1}/deployments/${f.deployment}` }) },
  'POST /api/v1/deployments/:name/rollouts': { need: dep('EDIT', [['registered_model', 'USE']]), req: (f) => ({ url: `${V1}/deployments/${f.deployment}/rollouts`, body: { version: '1' } }) },
  'POST /api/v1/deployments/:name/promote': { need: dep('EDIT'), req: (f) => ({ url: `${V1}/deployments/${f.deployment}/promote`, body: {} }) },
  'POST /api/v1/deployments/:name/pause': { need: dep('EDIT'), req: (f) => ({ url: `${V1}/deployments/${f.deployment}/pause`, body: {} }) },
  'POST /api/v1/deployments/:name/resume': { need: dep('EDIT'), req: (f) => ({ url: `${V1}/deployments/${f.deployment}/resume`, body: {} }) },
  'POST /api/v1/deployments/:name/abort': { need: dep('EDIT'), req: (f) => ({ url: `${V1}/deployments/${f.deployment}/abort`, body: {} }) },
  'POST /api/v1/deployments/:name/rollback': { need: dep('EDIT'), req: (f) => ({ url: `${V1}/deployments/${f.deployment}/rollback`, body: {} }) },
  'GET /api/v1/deployments/:name/events': { need: dep('READ'), req: (f) => ({ url: `${V1}/deployments/${f.deployment}/events` }) },
  'GET /api/v1/deployments/:name/analysis': { need: dep('READ'), req: (f) => ({ url: `${V1}/deployments/${f.deployment}/analysis` }) },
  'GET /api/v1/deployments/:name/runbook': { need: dep('READ'), req: (f) => ({ url: `${V1}/deployments/${f.deployment}/runbook` }) },
  'GET /api/v1/deployments/:name/predictions': { need: dep('READ'), req: (f) => ({ url: `${V1}/deployments/${f.deployment}/predictions` }) },
  'GET /api/v1/deployments/:name/predictions/:id': { need: dep('READ'), req: (f) => ({ url: `${V1}/deployments/${f.deployment}/predictions/none` }) },
  'POST /api/v1/deployments/:name/load-tests': { need: dep('EDIT'), req: (f) => ({ url: `${V1}/deployments/${f.deployment}/load-tests`, body: { endpoint: 'http://127.0.0.1:9', connections: 1, durationS: 1, requests: 1, throughputRps: 1, latencyMs: { p50: 1, p90: 1, p99: 1, max: 1 }, errors: 0, non2xx: 0 } }) },
  'GET /api/v1/load-tests': { need: model('READ'), req: (f) => ({ url: `${V1}/load-tests${q({ model: f.model })}` }) },
  'GET /v2': { need: 'signed-in', req: () => ({ url: '/v2' }) },
  'GET /v2/health/live': { need: 'signed-in', req: () => ({ url: '/v2/health/live' }) },
  'GET /v2/health/ready': { need: 'signed-in', req: () => ({ url: '/v2/health/ready' }) },
  'GET /v2/models/:name': { need: dep('READ'), req: (f) => ({ url: `/v2/models/${f.deployment}` }) },
  'GET /v2/models/:name/versions/:version': { need: dep('READ'), req: (f) => ({ url: `/v2/models/${f.deployment}/versions/1` }) },
  'GET /v2/models/:name/ready': { need: dep('READ'), req: (f) => ({ url: `/v2/models/${f.deployment}/ready` }) },
  'GET /v2/models/:name/versions/:version/ready': { need: dep('READ'), req: (f) => ({ url: `/v2/models/${f.deployment}/versions/1/ready` }) },
  'POST /v2/models/:name/infer': { need: dep('USE'), req: (f) => ({ url: `/v2/models/${f.deployment}/infer`, body: { inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [1] }] } }) },
  'POST /v2/models/:name/versions/:version/infer': { need: dep('USE'), req: (f) => ({ url: `/v2/models/${f.deployment}/versions/1/infer`, body: { inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [1] }] } }) },
  'POST /serve/:name/invocations': { need: dep('USE'), req: (f) => ({ url: `/serve/${f.deployment}/invocations`, body: { inputs: [[1]] } }) },
  'GET /serve/:name/ping': { need: dep('READ'), req: (f) => ({ url: `/serve/${f.deployment}/ping` }) },
  // The server's version, as MLflow's scoring server answers it: nothing about the deployment.
  'GET /serve/:name/version': { need: 'signed-in', req: (f) => ({ url: `/serve/${f.deployment}/version` }) },
  // ── datasets, validation, lineage ──
  'PUT /api/v1/datasets/:name/blobs/:sha256': { need: data('EDIT'), req: (f) => ({ url: `${V1}/datasets/${f.dataset}/blobs/${'0'.repeat(64)}`, raw: { payload: 'x', contentType: 'application/octet-stream' } }) },
  'POST /api/v1/datasets/:name/blobs/missing': { need: data('EDIT'), req: (f) => ({ url: `${V1}/datasets/${f.dataset}/blobs/missing`, body: { files: [{ sha256: '0'.repeat(64), size: 1 }] } }) },
  'POST /api/v1/datasets': { need: data('EDIT'), req: (f) => ({ url: `${V1}/datasets`, body: { name: f.dataset, files: [{ path: 'd.csv', content: b64(`id,x\n1,${Math.random()}\n`) }] } }) },
  'GET /api/v1/datasets': { need: ws('READ'), req: () => ({ url: `${V1}/datasets` }) },
  'GET /api/v1/datasets/:name/versions': { need: data('READ'), req: (f) => ({ url: `${V1}/datasets/${f.dataset}/versions` }) },
  'GET /api/v1/datasets/:name/versions/:ref': { need: data('READ'), req: (f) => ({ url: `${V1}/datasets/${f.dataset}/versions/1` }) },
  'GET /api/v1/datasets/:name/versions/:ref/file': { need: data('READ'), req: (f) => ({ url: `${V1}/datasets/${f.dataset}/versions/1/file?path=d.csv` }) },
  'GET /api/v1/datasets/:name/diff': { need: data('READ'), req: (f) => ({ url: `${V1}/datasets/${f.dataset}/diff?from=1&to=1` }) },
  'PUT /api/v1/datasets/:name/labels/:label': { need: data('EDIT'), req: (f) => ({ url: `${V1}/datasets/${f.dataset}/labels/gold`, body: { version: 1 } }) },
  'GET /api/v1/datasets/:name/datasheet': { need: data('READ'), req: (f) => ({ url: `${V1}/datasets/${f.dataset}/datasheet` }) },
  'PUT /api/v1/datasets/:name/datasheet': { need: data('EDIT'), req: (f) => ({ url: `${V1}/datasets/${f.dataset}/datasheet`, body: { sections: { motivation: 'x' } } }) },
  'POST /api/v1/datasets/:name/versions/:ref/validations': { need: data('EDIT'), req: (f) => ({ url: `${V1}/datasets/${f.dataset}/versions/1/validations`, body: { suite: { name: 's', expectations: [{ expectation_type: 'expect_column_to_exist', kwargs: { column: 'id' } }] } } }) },
  'GET /api/v1/datasets/:name/versions/:ref/validations/:id/report.html': { need: data('READ'), req: (f) => ({ url: `${V1}/datasets/${f.dataset}/versions/1/validations/${"0".repeat(32)}/report.html` }) },
  // ── LLM traces: a trace's project decides; prices and redaction rules are the workspace's ──
  'POST /api/v1/traces': { need: proj('EDIT'), req: (f) => ({ url: `${V1}/traces`, body: { project: f.project, spans: [{ traceId: f.trace, spanId: 'aa'.repeat(8), name: 'call', startTime: 1 }] } }) },
  'GET /api/v1/traces': { need: proj('READ'), req: (f) => ({ url: `${V1}/traces${q({ project: f.project })}` }) },
  'GET /api/v1/traces/:traceId': { need: proj('READ'), req: (f) => ({ url: `${V1}/traces/${f.trace}` }) },
  'POST /v1/traces': { need: proj('EDIT'), req: (f) => ({ url: `/v1/traces${q({ project: f.project })}`, raw: { payload: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: f.trace, spanId: 'bb'.repeat(8), name: 'otlp', startTimeUnixNano: '1000000' }] }] }] }), contentType: 'application/json' } }) },
  'POST /api/v1/evaluations/retrieval': { need: model('EDIT', [['experiment', 'EDIT']]), req: (f) => ({ url: `${V1}/evaluations/retrieval`, body: { runId: f.run, model: { name: f.model, version: 1 }, queries: [{ id: 'q1', relevant: ['d1'] }], retrieved: [{ queryId: 'q1', documents: ['d2', 'd1'] }], bootstrap: { resamples: 0 } } }) },
  'GET /api/v1/llm/prices': { need: ws('READ'), req: () => ({ url: `${V1}/llm/prices` }) },
  'PUT /api/v1/llm/prices': { need: ws('MANAGE'), req: () => ({ url: `${V1}/llm/prices`, body: { prices: [{ provider: 'openai', model: 'gpt-4o', inputPerMillion: 2.5, outputPerMillion: 10 }] } }) },
  'GET /api/v1/llm/redaction': { need: ws('READ'), req: () => ({ url: `${V1}/llm/redaction` }) },
  'PUT /api/v1/llm/redaction': { need: ws('MANAGE'), req: () => ({ url: `${V1}/llm/redaction`, body: {} }) },
  'POST /api/v1/llm/budgets': { need: proj('MANAGE'), req: (f) => ({ url: `${V1}/llm/budgets`, body: { name: `mxb-${f.n}-${Math.random()}`, project: f.project, period: 'day', limitUsd: 1 } }) },
  'GET /api/v1/llm/budgets': { need: proj('READ'), req: (f) => ({ url: `${V1}/llm/budgets${q({ project: f.project })}` }) },
  'GET /api/v1/llm/budget-check': { need: proj('EDIT'), req: (f) => ({ url: `${V1}/llm/budget-check${q({ project: f.project })}` }) },
  'GET /api/v1/llm/budgets/:budget': { need: proj('READ'), req: (f) => ({ url: `${V1}/llm/budgets/${f.budget}` }) },
  'DELETE /api/v1/llm/budgets/:budget': { need: proj('MANAGE'), fresh: true, req: (f) => ({ url: `${V1}/llm/budgets/${f.budget}` }) },
  // ── prompts ──
  'GET /api/v1/prompts': { need: ws('READ'), req: () => ({ url: `${V1}/prompts` }) },
  'POST /api/v1/prompts': { need: model('EDIT'), req: (f) => ({ url: `${V1}/prompts`, body: { name: f.prompt, template: `Hi {{name}} ${Math.random()}` } }) },
  'GET /api/v1/prompts/:name': { need: model('READ'), req: (f) => ({ url: `${V1}/prompts/${f.prompt}` }) },
  'GET /api/v1/prompts/:name/versions/:ref': { need: model('READ'), req: (f) => ({ url: `${V1}/prompts/${f.prompt}/versions/live` }) },
  'POST /api/v1/prompts/:name/versions/:ref/render': { need: model('READ'), req: (f) => ({ url: `${V1}/prompts/${f.prompt}/versions/1/render`, body: { variables: { name: 'x' } } }) },
  'GET /api/v1/prompts/:name/diff': { need: model('READ'), req: (f) => ({ url: `${V1}/prompts/${f.prompt}/diff${q({ from: 1, to: 'latest' })}` }) },
  'PUT /api/v1/prompts/:name/labels/:label': { need: model('EDIT'), req: (f) => ({ url: `${V1}/prompts/${f.prompt}/labels/staging`, body: { version: 1 } }) },
  'DELETE /api/v1/prompts/:name/labels/:label': { need: model('EDIT'), fresh: true, req: (f) => ({ url: `${V1}/prompts/${f.prompt}/labels/live` }) },
  'GET /api/v1/prompts/:name/history': { need: model('READ'), req: (f) => ({ url: `${V1}/prompts/${f.prompt}/history` }) },
  // ── features ──
  'POST /api/v1/features/apply': { need: fv('EDIT'), req: (f) => ({ url: `${V1}/features/apply`, body: { definitions: featureRepo(f.featureView, String(Math.random())) } }) },
  'GET /api/v1/features/views': { need: ws('READ'), req: () => ({ url: `${V1}/features/views` }) },
  'GET /api/v1/features/views/:name': { need: fv('READ'), req: (f) => ({ url: `${V1}/features/views/${f.featureView}` }) },
  'POST /api/v1/features/historical': { need: fv('READ'), req: (f) => ({ url: `${V1}/features/historical`, body: { features: [`${f.featureView}:mxuser_spend_sum_7d`], entities: [{ mxuser_id: 1, event_timestamp: '2024-01-02T00:00:00Z' }] } }) },
  'POST /api/v1/features/materialize': { need: fv('EDIT'), req: (f) => ({ url: `${V1}/features/materialize`, body: { views: [f.featureView], start: 0 } }) },
  'POST /api/v1/features/online': { need: fv('READ'), req: (f) => ({ url: `${V1}/features/online`, body: { features: [`${f.featureView}:mxuser_spend_sum_7d`], entities: { mxuser_id: [1] } } }) },
  'GET /api/v1/features/online': { need: fv('READ'), req: (f) => ({ url: `${V1}/features/online${q({ features: `${f.featureView}:mxuser_spend_sum_7d`, mxuser_id: 1 })}` }) },
  'POST /api/v1/features/skew/logged': {
    need: dep('READ', [['feature_view', 'READ']]), req: (f) => ({ url: `${V1}/features/skew/logged`, body: { deployment: f.deployment, features: [`${f.featureView}:mxuser_spend_sum_7d`] } }),
  },
  'POST /api/v1/features/skew': { need: fv('READ'), req: (f) => ({ url: `${V1}/features/skew`, body: { features: [`${f.featureView}:mxuser_spend_sum_7d`], rows: [{ mxuser_id: 1, event_timestamp: '2024-01-02T00:00:00Z', mxuser_spend_sum_7d: 5 }] } }) },
  'POST /api/v1/retention/policies': { need: ws('MANAGE'), req: () => ({ url: `${V1}/retention/policies`, body: { scope: { kind: 'server' }, maxAgeDays: 36_500 } }) },
  'GET /api/v1/retention/policies': { need: ws('READ'), req: () => ({ url: `${V1}/retention/policies` }) },
  'DELETE /api/v1/retention/policies/:id': { need: ws('MANAGE'), req: () => ({ url: `${V1}/retention/policies/${'0'.repeat(32)}` }) },
  'POST /api/v1/retention/apply': { need: ws('MANAGE'), req: () => ({ url: `${V1}/retention/apply`, body: { dryRun: true } }) },
  'POST /api/v1/retention/purge': { need: exp('MANAGE'), fresh: true, req: (f) => ({ url: `${V1}/retention/purge`, body: { runIds: [f.run] } }) },
  'POST /api/v1/retention/purge-traces': { need: proj('MANAGE'), fresh: true, req: (f) => ({ url: `${V1}/retention/purge-traces`, body: { traceIds: [f.trace] } }) },
  'GET /api/v1/retention/jobs/:id': { need: ws('READ'), req: () => ({ url: `${V1}/retention/jobs/${'0'.repeat(32)}` }) },
  'POST /api/v1/datasets/gc': { need: ws('MANAGE'), req: () => ({ url: `${V1}/datasets/gc`, body: { dryRun: true } }) },
  'GET /api/v1/datasets/:name/versions/:ref/validations': { need: data('READ'), req: (f) => ({ url: `${V1}/datasets/${f.dataset}/versions/1/validations` }) },
  'GET /api/v1/datasets/:name/versions/:ref/suggested-suite': { need: data('READ'), req: (f) => ({ url: `${V1}/datasets/${f.dataset}/versions/1/suggested-suite` }) },
  'POST /api/v1/validation-suites': { need: ws('EDIT'), req: () => ({ url: `${V1}/validation-suites`, body: { name: 'suite', expectations: [{ expectation_type: 'expect_column_to_exist', kwargs: { column: 'id' } }] } }) },
  'GET /api/v1/validation-suites': { need: ws('READ'), req: () => ({ url: `${V1}/validation-suites` }) },
  'GET /api/v1/validation-suites/:name/versions/:version': { need: ws('READ'), req: () => ({ url: `${V1}/validation-suites/none/versions/1` }) },
  // An edge needs READ on its source (the run here) and EDIT on its target (a free-form label: the workspace).
  'POST /api/v1/lineage/edges': { need: exp('READ'), req: (f) => ({ url: `${V1}/lineage/edges`, body: { edges: [{ from: { kind: 'run', id: f.run }, to: { kind: 'note', id: 'x' }, relation: 'documents' }] } }) },
  // Lineage from a run the caller may not read answers as for an unknown id (the node alone); the graph shows only readable nodes.
  'GET /api/v1/lineage/:kind/:id': { need: ws('READ'), req: (f) => ({ url: `${V1}/lineage/run/${f.run}` }) },
  // ── explanations ── (an allowed call gets as far as the data check: no rows)
  'POST /api/v1/explanations': { need: model('USE'), req: (f) => ({ url: `${V1}/explanations`, body: { model: f.model, version: 1, data: { columns: { a: [] } } } }) },
  'GET /api/v1/explanations': { need: model('READ'), req: (f) => ({ url: `${V1}/explanations${q({ model: f.model })}` }) },
  'GET /api/v1/explanations/:id': { need: model('READ'), req: (f) => ({ url: `${V1}/explanations/${f.explanation}` }) },
  // ── review queues ── (pulling a queue of pushed items and exporting items nobody labelled 20 times get as far as a 400)
  'POST /api/v1/review/queues': { need: ws('EDIT'), req: (f) => ({ url: `${V1}/review/queues`, body: { name: `mx-q-${f.n}-${Math.random()}`, scope: 'project', labels: ['a', 'b'] } }) },
  'GET /api/v1/review/queues': { need: ws('READ'), req: () => ({ url: `${V1}/review/queues` }) },
  'GET /api/v1/review/queues/:name': { need: rq('READ'), req: (f) => ({ url: `${V1}/review/queues/${f.queue}` }) },
  'PATCH /api/v1/review/queues/:name': { need: rq('EDIT'), req: (f) => ({ url: `${V1}/review/queues/${f.queue}`, body: { description: `mx ${f.n}` } }) },
  'DELETE /api/v1/review/queues/:name': { need: rq('MANAGE'), fresh: true, req: (f) => ({ url: `${V1}/review/queues/${f.queue}` }) },
  'POST /api/v1/review/queues/:name/pull': { need: rq('EDIT'), req: (f) => ({ url: `${V1}/review/queues/${f.queue}/pull`, body: {} }) },
  'POST /api/v1/review/queues/:name/items': { need: rq('EDIT'), req: (f) => ({ url: `${V1}/review/queues/${f.queue}/items`, body: { items: [{ id: 'r1', fields: { x: 1 } }] } }) },
  'GET /api/v1/review/queues/:name/items': { need: rq('READ'), req: (f) => ({ url: `${V1}/review/queues/${f.queue}/items` }) },
  'GET /api/v1/review/queues/:name/items/:id': { need: rq('READ'), req: (f) => ({ url: `${V1}/review/queues/${f.queue}/items/${f.queueItem}` }) },
  'PUT /api/v1/review/queues/:name/items/:id/label': { need: rq('USE'), req: (f) => ({ url: `${V1}/review/queues/${f.queue}/items/${f.queueItem}/label`, body: { label: 'a' } }) },
  'GET /api/v1/review/queues/:name/agreement': { need: rq('READ'), req: (f) => ({ url: `${V1}/review/queues/${f.queue}/agreement` }) },
  'POST /api/v1/review/queues/:name/export': { need: rq('EDIT'), req: (f) => ({ url: `${V1}/review/queues/${f.queue}/export`, body: { dataset: `mx-reviewed-${f.n}`, minLabels: 20 } }) },
  // ── evaluation ──
  'POST /api/v1/evaluations': { need: model('EDIT', [['experiment', 'EDIT']]), req: (f) => ({ url: `${V1}/evaluations`, body: { runId: f.run, model: { name: f.model, version: 1 }, name: 'e', task: 'binary', label: 'y', score: 'p', data: predictions } }) },
  'GET /api/v1/evaluations': { need: ws('READ'), req: () => ({ url: `${V1}/evaluations` }) },
  'GET /api/v1/evaluations/:id': { need: model('READ'), req: (f) => ({ url: `${V1}/evaluations/${f.evaluation}` }) },
  'GET /api/v1/evaluations/:id/report.html': { need: model('READ'), req: (f) => ({ url: `${V1}/evaluations/${f.evaluation}/report.html` }) },
  'DELETE /api/v1/evaluations/:id': { need: model('EDIT'), fresh: true, req: (f) => ({ url: `${V1}/evaluations/${f.evaluation}` }) },
  'POST /api/v1/comparisons': { need: model('EDIT', [['experiment', 'READ']]), req: (f) => ({ url: `${V1}/comparisons`, body: { task: 'binary', label: 'y', score: 'p', candidate: { name: f.model, version: 1 }, baselineColumns: { score: 'p2' }, data: predictions } }) },
  'GET /api/v1/comparisons': { need: ws('READ'), req: () => ({ url: `${V1}/comparisons` }) },
  'GET /api/v1/comparisons/:id': { need: model('READ'), req: (f) => ({ url: `${V1}/comparisons/${f.comparison}` }) },
  'GET /api/v1/models/:name/versions/:version/card': { need: model('READ'), req: (f) => ({ url: `${V1}/models/${f.model}/versions/1/card` }) },
  'PATCH /api/v1/models/:name/versions/:version/card': { need: model('EDIT'), req: (f) => ({ url: `${V1}/models/${f.model}/versions/1/card`, body: { overview: 'x' } }) },
  // ── governance ──
  'GET /api/v1/auth/whoami': { need: 'signed-in', req: () => ({ url: `${V1}/auth/whoami` }) },
  'POST /api/v1/auth/login': { need: 'public', req: () => ({ url: `${V1}/auth/login`, body: { username: 'vic', password: 'vic-password' } }) },
  'POST /api/v1/auth/logout': { need: 'public', req: () => ({ url: `${V1}/auth/logout`, body: {} }) },
  // Single sign-on: reachable without credentials (this server has no provider configured: 404 naming that).
  'GET /api/v1/auth/methods': { need: 'public', req: () => ({ url: `${V1}/auth/methods` }) },
  'GET /api/v1/auth/oidc/login': { need: 'public', req: () => ({ url: `${V1}/auth/oidc/login?returnTo=/models` }) },
  'GET /api/v1/auth/oidc/callback': { need: 'public', req: () => ({ url: `${V1}/auth/oidc/callback?code=x&state=y` }) },
  'POST /api/v1/auth/oidc/device': { need: 'public', req: () => ({ url: `${V1}/auth/oidc/device`, body: {} }) },
  'POST /api/v1/auth/oidc/device/token': { need: 'public', req: () => ({ url: `${V1}/auth/oidc/device/token`, body: { deviceCode: 'x' } }) },
  'POST /api/v1/users': { need: 'admin', req: (f) => ({ url: `${V1}/users`, body: { username: `u${f.n}-${Math.floor(Math.random() * 1e9)}`, password: 'long-enough-1' } }) },
  'GET /api/v1/users': { need: 'admin', req: () => ({ url: `${V1}/users` }) },
  'GET /api/v1/users/:username': { need: 'admin', req: () => ({ url: `${V1}/users/root` }) },
  'PATCH /api/v1/users/:username': { need: 'admin', req: () => ({ url: `${V1}/users/root`, body: { email: 'root@example.com' } }) },
  'DELETE /api/v1/users/:username': { need: 'admin', req: () => ({ url: `${V1}/users/nobody-here` }) },
  'POST /api/v1/tokens': { need: 'signed-in', req: () => ({ url: `${V1}/tokens`, body: { name: 't' } }) },
  'GET /api/v1/tokens': { need: 'signed-in', req: () => ({ url: `${V1}/tokens` }) },
  'DELETE /api/v1/tokens/:tokenId': { need: 'signed-in', req: () => ({ url: `${V1}/tokens/none` }) },
  'POST /api/v1/groups': { need: 'admin', req: (f) => ({ url: `${V1}/groups`, body: { name: `g${f.n}-${Math.floor(Math.random() * 1e9)}` } }) },
  'GET /api/v1/groups': { need: 'signed-in', req: () => ({ url: `${V1}/groups` }) },
  'GET /api/v1/groups/:name': { need: 'signed-in', req: () => ({ url: `${V1}/groups/reviewers` }) },
  'DELETE /api/v1/groups/:name': { need: 'admin', req: () => ({ url: `${V1}/groups/nothing` }) },
  'PUT /api/v1/groups/:name/members/:username': { need: 'admin', req: () => ({ url: `${V1}/groups/reviewers/members/vic` }) },
  'DELETE /api/v1/groups/:name/members/:username': { need: 'admin', req: () => ({ url: `${V1}/groups/reviewers/members/nobody` }) },
  'GET /api/v1/permissions': { need: exp('READ'), req: (f) => ({ url: `${V1}/permissions${q({ kind: 'experiment', id: f.exp })}` }) },
  'PUT /api/v1/permissions': { need: exp('MANAGE'), req: (f) => ({ url: `${V1}/permissions`, body: { kind: 'experiment', id: f.exp, principalType: 'user', principal: 'vic', level: 'READ' } }) },
  'DELETE /api/v1/permissions': { need: exp('MANAGE'), fresh: true, req: (f) => ({ url: `${V1}/permissions${q({ kind: 'experiment', id: f.exp, principalType: 'everyone' })}` }) },
  'GET /api/v1/permissions/effective': { need: 'signed-in', req: (f) => ({ url: `${V1}/permissions/effective${q({ kind: 'experiment', id: f.exp })}` }) },
  'GET /api/v1/permissions/of': { need: 'admin', req: () => ({ url: `${V1}/permissions/of${q({ principalType: 'user', principal: 'root' })}` }) },
  'PUT /api/v1/runs/:runId/capture': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/runs/${f.run}/capture`, body: capture }) },
  'GET /api/v1/runs/:runId/capture': { need: exp('READ'), req: (f) => ({ url: `${V1}/runs/${f.run}/capture` }) },
  'POST /api/v1/reproductions': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/reproductions`, body: { sourceRunId: f.run, runId: f.run2 } }) },
  'GET /api/v1/reproductions': { need: exp('READ'), req: (f) => ({ url: `${V1}/reproductions${q({ sourceRunId: f.run })}` }) },
  'GET /api/v1/reproductions/:id': { need: exp('READ'), req: (f) => ({ url: `${V1}/reproductions/${f.reproduction}` }) },
  'GET /api/v1/reproductions/:id/report.html': { need: exp('READ'), req: (f) => ({ url: `${V1}/reproductions/${f.reproduction}/report.html` }) },
  'PUT /api/v1/pipeline-runs/:id': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/pipeline-runs/${f.pipelineRun}`, body: pipelineRun(f) }) },
  'GET /api/v1/pipeline-runs': { need: ws('READ'), req: () => ({ url: `${V1}/pipeline-runs` }) },
  'GET /api/v1/pipeline-runs/:id': { need: exp('READ'), req: (f) => ({ url: `${V1}/pipeline-runs/${f.pipelineRun}` }) },
  // ── Compute cost: usage and cost follow the run's (sweep's) experiment; an experiment budget is its managers' ──
  'POST /api/v1/runs/:runId/usage': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/runs/${f.run}/usage`, body: { cpuSeconds: 1, peakMemoryBytes: 1024, wallSeconds: 1 } }) },
  'GET /api/v1/runs/:runId/usage': { need: exp('READ'), req: (f) => ({ url: `${V1}/runs/${f.run}/usage` }) },
  'GET /api/v1/experiments/:id/cost': { need: exp('READ'), req: (f) => ({ url: `${V1}/experiments/${f.exp}/cost` }) },
  'GET /api/v1/sweeps/:id/cost': { need: exp('READ'), req: (f) => ({ url: `${V1}/sweeps/${f.sweep}/cost` }) },
  'GET /api/v1/compute/prices': { need: ws('READ'), req: () => ({ url: `${V1}/compute/prices` }) },
  'POST /api/v1/compute/budgets': { need: exp('MANAGE'), req: (f) => ({ url: `${V1}/compute/budgets`, body: { name: `mxc-${f.n}-${Math.random().toString(36).slice(2)}`, scope: 'experiment', subject: f.exp, period: 'day', limitUsd: 1000 } }) },
  'GET /api/v1/compute/budgets': { need: ws('READ'), req: () => ({ url: `${V1}/compute/budgets` }) },
  'GET /api/v1/compute/budgets/:budget': { need: exp('READ'), req: (f) => ({ url: `${V1}/compute/budgets/${f.computeBudget}` }) },
  'DELETE /api/v1/compute/budgets/:budget': { need: exp('MANAGE'), fresh: true, req: (f) => ({ url: `${V1}/compute/budgets/${f.computeBudget}` }) },
  'POST /api/v1/sweeps': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/sweeps`, body: { name: 'mx-sweep', experimentId: f.exp, trials: 3, config: SWEEP_CONFIG } }) },
  'GET /api/v1/sweeps': { need: ws('READ'), req: () => ({ url: `${V1}/sweeps` }) },
  'GET /api/v1/sweeps/:id': { need: exp('READ'), req: (f) => ({ url: `${V1}/sweeps/${f.sweep}` }) },
  'POST /api/v1/sweeps/:id/trials': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/sweeps/${f.sweep}/trials`, body: {} }) },
  'PUT /api/v1/sweeps/:id/trials/:number/process': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/sweeps/${f.sweep}/trials/1/process`, body: { pid: 1234, host: 'h' } }) },
  'POST /api/v1/sweeps/:id/trials/:number/prune-check': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/sweeps/${f.sweep}/trials/1/prune-check` }) },
  'POST /api/v1/sweeps/:id/trials/:number/finish': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${V1}/sweeps/${f.sweep}/trials/1/finish`, body: { exitCode: 1 } }) },
  'POST /api/v1/sweeps/:id/resume': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${V1}/sweeps/${f.sweep}/resume` }) },
  'POST /api/v1/sweeps/:id/lease': { need: exp('EDIT'), fresh: true, req: (f) => ({ url: `${V1}/sweeps/${f.sweep}/lease`, body: { controller: 'mx', host: 'h', pid: 1, ttlMs: 1000 } }) },
  'DELETE /api/v1/sweeps/:id/lease': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/sweeps/${f.sweep}/lease?controller=mx` }) },
  'POST /api/v1/sweeps/:id/extend': { need: exp('EDIT'), req: (f) => ({ url: `${V1}/sweeps/${f.sweep}/extend`, body: { trials: 1 } }) },
  'GET /api/v1/sweeps/:id/best': { need: exp('READ'), req: (f) => ({ url: `${V1}/sweeps/${f.sweep}/best` }) },
  'GET /api/v1/sweeps/:id/importance': { need: exp('READ'), req: (f) => ({ url: `${V1}/sweeps/${f.sweep}/importance` }) },
  'POST /api/v1/sweeps/:id/register': { need: model('EDIT', [['experiment', 'READ']]), req: (f) => ({ url: `${V1}/sweeps/${f.sweep}/register`, body: { name: f.model } }) },
  'GET /api/v1/audit': { need: 'admin', req: () => ({ url: `${V1}/audit?limit=5` }) },
  'GET /api/v1/audit/export': { need: 'admin', req: () => ({ url: `${V1}/audit/export?since=${Date.now()}` }) },
  'GET /api/v1/audit/verify': { need: 'admin', req: () => ({ url: `${V1}/audit/verify` }) },
  'POST /api/v1/audit/prune': { need: 'admin', req: () => ({ url: `${V1}/audit/prune`, body: { retentionDays: 3650 } }) },
  // ── projects: the caller's role in the project decides; outsiders are told it does not exist ──
  'POST /api/v1/projects': { need: ws('EDIT'), req: (f) => ({ url: `${V1}/projects`, body: { name: `np-${f.n}-${Math.floor(Math.random() * 1e9)}` } }) },
  'GET /api/v1/projects': { need: ws('READ'), req: () => ({ url: `${V1}/projects` }) },
  'GET /api/v1/projects/:name': { need: proj('READ'), req: (f) => ({ url: `${V1}/projects/${f.project}` }) },
  'PATCH /api/v1/projects/:name': { need: proj('MANAGE'), req: (f) => ({ url: `${V1}/projects/${f.project}`, body: { description: 'x' } }) },
  'DELETE /api/v1/projects/:name': { need: proj('MANAGE'), fresh: true, req: (f) => ({ url: `${V1}/projects/${f.project}` }) },
  'GET /api/v1/projects/:name/members': { need: proj('READ'), req: (f) => ({ url: `${V1}/projects/${f.project}/members` }) },
  'PUT /api/v1/projects/:name/members/:principalType/:principal': { need: proj('MANAGE'), req: (f) => ({ url: `${V1}/projects/${f.project}/members/user/pat`, body: { role: 'editor' } }) },
  'DELETE /api/v1/projects/:name/members/:principalType/:principal': { need: proj('MANAGE'), fresh: true, req: (f) => ({ url: `${V1}/projects/${f.project}/members/user/pat` }) },
  'GET /api/v1/projects/:name/objects': { need: proj('READ'), req: (f) => ({ url: `${V1}/projects/${f.project}/objects` }) },
};

let app: FastifyInstance;
let close: () => Promise<void>;
const routes: string[] = [];
let counter = 0;

async function call(method: Method, r: Req, auth?: string): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { ...(auth ? { authorization: auth } : {}) };
  let payload: string | Buffer | undefined;
  if (r.raw) {
    headers['content-type'] = r.raw.contentType;
    payload = r.raw.payload;
  } else if (r.body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(r.body);
  }
  const res = await app.inject({ method, url: r.url, headers, ...(payload !== undefined ? { payload } : {}) });
  return { status: res.statusCode, body: res.body };
}

async function admin<T = Record<string, unknown>>(method: Method, url: string, body?: unknown): Promise<T> {
  const res = await call(method, { url, ...(body !== undefined ? { body } : {}) }, asAdmin);
  if (res.status >= 300) throw new Error(`fixture ${method} ${url}: ${res.status} ${res.body}`);
  return JSON.parse(res.body || '{}') as T;
}

/** Objects of every kind, created by the admin, so the subject user holds nothing on them but what the test grants. */
async function fixture(): Promise<Fixture> {
  const n = ++counter;
  const exp = (await admin<{ experiment_id: string }>('POST', `${M}/experiments/create`, { name: `mx-${n}`, tags: [{ key: 'team', value: 'a' }] })).experiment_id;
  const run = (await admin<{ run: { info: { run_id: string } } }>('POST', `${M}/runs/create`, { experiment_id: exp, start_time: 1, tags: [{ key: 'stage', value: 'x' }] })).run.info.run_id;
  await admin('POST', `${M}/runs/log-batch`, { run_id: run, metrics: [{ key: 'm', value: 0.5, timestamp: 1, step: 0 }], params: [{ key: 'p', value: '1' }] });
  await admin('PUT', `${V1}/experiments/${exp}/views/best`, { query: 'order=metrics.m+DESC' });
  const artifact = `${exp}/${run}/artifacts/notes.txt`;
  const put = await call('PUT', { url: `${A}/artifacts/${artifact}`, raw: { payload: 'notes', contentType: 'application/octet-stream' } }, asAdmin);
  if (put.status !== 200) throw new Error(`artifact: ${put.status} ${put.body}`);
  const loggedModel = (await admin<{ model: { info: { model_id: string } } }>('POST', `${M}/logged-models`, { experiment_id: exp, name: 'lm', tags: [{ key: 'flavor', value: 'x' }] })).model.info.model_id;
  const model = `mx-model-${n}`;
  await admin('POST', `${M}/registered-models/create`, { name: model, tags: [{ key: 'owner', value: 'a' }] });
  // Version 1 is an ONNX model, so it can be explained.
  for (const [file, payload] of [['MLmodel', 'flavors:\n  onnx:\n    model_file: model.onnx\n'], ['model.onnx', linearModel([[1, 2, 3]], [0])]] as const) {
    const stored = await call('PUT', { url: `${A}/artifacts/${exp}/${run}/artifacts/model/${file}`, raw: { payload: Buffer.from(payload), contentType: 'application/octet-stream' } }, asAdmin);
    if (stored.status !== 200) throw new Error(`${file}: ${stored.status} ${stored.body}`);
  }
  await admin('POST', `${M}/model-versions/create`, { name: model, source: `mlflow-artifacts:/${exp}/${run}/artifacts/model`, run_id: run, tags: [{ key: 'k', value: 'v' }] });
  // A file of version 1, stored once the version exists (so it registers as before).
  const versionFile = await call('PUT', { url: `${A}/artifacts/${exp}/${run}/artifacts/model/readme.txt`, raw: { payload: 'readme', contentType: 'application/octet-stream' } }, asAdmin);
  if (versionFile.status !== 200) throw new Error(`version file: ${versionFile.status} ${versionFile.body}`);
  await admin('POST', `${M}/registered-models/alias`, { name: model, alias: 'live', version: '1' });
  const dataset = `mx-data-${n}`;
  await admin('POST', `${V1}/datasets`, { name: dataset, files: [{ path: 'd.csv', content: b64('id,x\n1,2\n2,3\n') }] });
  const monitor = (await admin<{ monitorId: string }>('POST', `${V1}/monitors`, { name: `mx-mon-${n}`, reference: rows(1) })).monitorId;
  const rule = (await admin<{ ruleId: string }>('POST', `${V1}/monitors/${monitor}/alert-rules`, { name: 'r', figure: 'dataset_drift_share', op: '>=', threshold: 0.5 })).ruleId;
  await admin('POST', `${V1}/monitors/${monitor}/alert-rules`, { name: 'retrain', figure: 'row_count', op: '>=', threshold: 1, retrain: { command: ['true'] } });
  await admin('POST', `${V1}/monitors/${monitor}/ingest`, rows(2));
  const retrain = (await admin<{ items: { requestId: string }[] }>('GET', `${V1}/monitors/${monitor}/retrain-requests`)).items[0]!.requestId;
  const deployment = `mx-dep-${n}`;
  await admin('POST', `${V1}/deployments`, { name: deployment, model, alias: 'live', allowUnready: true, runtime: { kind: 'external', url: 'http://127.0.0.1:9', protocol: 'v2' } });
  const request = (await admin<{ id: number }>('POST', `${V1}/promotion-requests`, { name: model, version: 1, target: 'champion' })).id;
  const evaluation = (await admin<{ id: string }>('POST', `${V1}/evaluations`, { runId: run, model: { name: model, version: 1 }, name: 'e', task: 'binary', label: 'y', score: 'p', data: predictions })).id;
  const comparison = (await admin<{ id: string }>('POST', `${V1}/comparisons`, { task: 'binary', label: 'y', score: 'p', candidate: { name: model, version: 1 }, baselineColumns: { score: 'p2' }, data: predictions })).id;
  const run2 = (await admin<{ run: { info: { run_id: string } } }>('POST', `${M}/runs/create`, { experiment_id: exp, start_time: 2 })).run.info.run_id;
  await admin('PUT', `${V1}/runs/${run}/capture`, capture);
  await admin('PUT', `${V1}/runs/${run2}/capture`, capture);
  const reproduction = (await admin<{ id: string }>('POST', `${V1}/reproductions`, { sourceRunId: run, runId: run2 })).id;
  const pipelineRunId = n.toString(16).padStart(32, '0');
  await admin('PUT', `${V1}/pipeline-runs/${pipelineRunId}`, pipelineRun({ exp }));
  const sweep = (await admin<{ id: string }>('POST', `${V1}/sweeps`, { name: 'mx-sweep', experimentId: exp, trials: 1000, config: SWEEP_CONFIG })).id;
  const trial0 = (await admin<{ trial: { runId: string } }>('POST', `${V1}/sweeps/${sweep}/trials`, {})).trial;
  await admin('POST', `${M}/runs/log-batch`, { run_id: trial0.runId, metrics: [{ key: 'm', value: 0.25, timestamp: 1, step: 0 }] });
  await admin('POST', `${V1}/sweeps/${sweep}/trials/0/finish`, { exitCode: 0 });
  await admin('POST', `${V1}/sweeps/${sweep}/trials`, {});
  const project = `mxp-${n}`;
  await admin('POST', `${V1}/projects`, { name: project });
  await admin('PUT', `${V1}/projects/${project}/members/user/pat`, { role: 'viewer' });
  const featureView = `mx_fv_${n}`;
  await admin('POST', `${V1}/features/apply`, { definitions: featureRepo(featureView, 'a') });
  const trace = (0xfeed0000 + n).toString(16).padStart(32, '0');
  await admin('POST', `${V1}/traces`, { project, spans: [{ traceId: trace, spanId: 'aa'.repeat(8), name: 'call', startTime: 1 }] });
  const budget = `mx-budget-${n}`;
  await admin('POST', `${V1}/llm/budgets`, { name: budget, project, period: 'month', limitUsd: 1 });
  const computeBudget = `mx-cbudget-${n}`;
  await admin('POST', `${V1}/compute/budgets`, { name: computeBudget, scope: 'experiment', subject: exp, period: 'month', limitUsd: 1000 });
  const prompt = `mx-prompt-${n}`;
  await admin('POST', `${V1}/prompts`, { name: prompt, template: 'Hi {{name}}' });
  await admin('PUT', `${V1}/prompts/${prompt}/labels/live`, { version: 1 });
  const explanation = (await admin<{ id: string }>('POST', `${V1}/explanations`, { model, version: 1, data: { columns: { a: [1, 2], b: [3, 4], c: [5, 7] } }, methods: ['kernel_shap'], rows: 1, background: 2 })).id;
  const queue = `mx-queue-${n}`;
  await admin('POST', `${V1}/review/queues`, { name: queue, scope: 'project', labels: ['a', 'b'] });
  const queueItem = (await admin<{ items: { id: string }[] }>('POST', `${V1}/review/queues/${queue}/items`, { items: [{ id: 'r1', fields: { x: 1 } }] })).items[0]!.id;
  return { n, exp, run, model, dataset, monitor, rule, retrain, deployment, request, evaluation, comparison, loggedModel, artifact, run2, reproduction, pipelineRun: pipelineRunId, sweep, project, featureView, trace, budget, computeBudget, prompt, explanation, queue, queueItem };
}

const objectId = (f: Fixture, kind: ObjectKind): string =>
  ({ experiment: f.exp, registered_model: f.model, dataset: f.dataset, monitor: f.monitor, deployment: f.deployment, feature_view: f.featureView, review_queue: f.queue })[kind];

async function grant(f: Fixture, kind: ObjectKind, level: string): Promise<void> {
  await admin('PUT', `${V1}/permissions`, { kind, id: objectId(f, kind), principalType: 'user', principal: 'sam', level });
  if (kind === 'registered_model') await admin('PUT', `${V1}/permissions`, { kind, id: f.prompt, principalType: 'user', principal: 'sam', level });
}

const isDenied = (status: number) => status === 401 || status === 403;
/** A 404 about the object (the serving surfaces' bodies carry no code), not about the route. */
const isHidden = (res: { status: number; body: string }) => res.status === 404 && !res.body.includes('ENDPOINT_NOT_FOUND');
const show = (key: string, who: string, res: { status: number; body: string }) => ({ route: key, who, status: res.status, body: res.body.slice(0, 300) });

beforeAll(async () => {
  fs.writeFileSync(featureCsv, 'mxuser_id,event_timestamp,mxuser_spend_sum_7d\n1,2024-01-01 00:00:00,5\n');
  // Everyone's default is NO_PERMISSIONS here, so what a member may do comes only from the grants the test sets.
  const server = await startAuthApp({ defaultPermission: 'NO_PERMISSIONS', featureSourceRoots: os.tmpdir() }, (method, url) => routes.push(`${method} ${url}`));
  app = server.app;
  close = server.close;
  for (const [username, role] of [...Object.entries(USERS), [PAT, 'member']]) await admin('POST', `${V1}/users`, { username, password: `${username}-password`, role });
  await admin('POST', `${V1}/groups`, { name: 'reviewers', members: ['sam'] });
}, 60_000);

afterAll(async () => {
  fs.rmSync(featureCsv, { force: true });
  await close();
});

const apiRoutes = () => routes.filter((r) => /^[A-Z]+ \/(api|v2|serve|get-artifact|model-versions\/get-artifact)(\/|$)/.test(r));

describe('authorization matrix', () => {
  it('has an entry for every API route, and the MLflow routes are served under /ajax-api as well', () => {
    const missing = apiRoutes().filter((r) => !CASES[r]);
    expect(missing).toEqual([]);
    const stale = Object.keys(CASES).filter((k) => !routes.includes(k));
    expect(stale).toEqual([]);
    const ajax = routes.filter((r) => r.includes(' /ajax-api/')).map((r) => r.replace(' /ajax-api/', ' /api/')).sort();
    expect(ajax).toEqual(routes.filter((r) => / \/api\/2\.0\//.test(r)).sort());
  });

  it('refuses every route but the public ones to anonymous callers', async () => {
    const f = await fixture();
    const admitted: ReturnType<typeof show>[] = [];
    for (const key of apiRoutes()) {
      const c = CASES[key]!;
      const res = await call(key.split(' ')[0] as Method, c.req(f));
      if (c.need === 'public') expect(res.status, key).not.toBe(401);
      else expect(show(key, 'anonymous', res)).toMatchObject({ status: 401 });
      // The router merges duplicate slashes (as MLflow's does); the check must see the route they lead to.
      const doubled = await call(key.split(' ')[0] as Method, { ...c.req(f), url: `/${c.req(f).url}` });
      if (c.need !== 'public' && doubled.status !== 401) admitted.push(show(`/${key}`, 'anonymous', doubled));
    }
    expect(admitted).toEqual([]);
  });

  it('allows each object route exactly from the level it needs, for every level', async () => {
    const shared = await fixture();
    const wrong: ReturnType<typeof show>[] = [];
    let checked = 0;
    for (const key of apiRoutes()) {
      const c = CASES[key]!;
      if (typeof c.need !== 'object' || !('on' in c.need)) continue;
      const need = c.need;
      const method = key.split(' ')[0] as Method;
      for (const level of PERMISSION_LEVELS) {
        const f = c.fresh ? await fixture() : shared;
        for (const [kind, extra] of need.also ?? []) await grant(f, kind, extra);
        await grant(f, need.on, level);
        const res = await call(method, c.req(f), as('sam'));
        const allowed = levelRank(level) >= levelRank(need.level);
        // Below READ the object is hidden: the same 404 RESOURCE_DOES_NOT_EXIST an unknown id gets. From READ on, 403.
        const refusal = level === 'NO_PERMISSIONS' ? 404 : 403;
        if (allowed ? isDenied(res.status) : res.status !== refusal || (refusal === 404 && !isHidden(res))) wrong.push(show(key, `sam@${level}`, res));
        checked++;
      }
      // Back to nothing, so the next route starts from the default.
      await grant(shared, need.on, 'NO_PERMISSIONS');
      for (const [kind] of need.also ?? []) await grant(shared, kind, 'NO_PERMISSIONS');
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(500);
  }, 900_000);

  it('leaves out of every workspace-wide list what the caller may not read, and shows it once granted READ', async () => {
    const f = await fixture();
    const LISTS: [string, ObjectKind, string][] = [
      [`${M}/experiments/search?max_results=1000`, 'experiment', `"mx-${f.n}"`],
      [`${V1}/experiments`, 'experiment', `"mx-${f.n}"`],
      [`${M}/registered-models/search?max_results=1000`, 'registered_model', `"${f.model}"`],
      [`${M}/model-versions/search`, 'registered_model', `"${f.model}"`],
      [`${V1}/models`, 'registered_model', `"${f.model}"`],
      [`${V1}/promotion-requests`, 'registered_model', `"${f.model}"`],
      [`${V1}/evaluations`, 'registered_model', f.evaluation],
      [`${V1}/sweeps`, 'experiment', f.sweep],
      [`${V1}/comparisons`, 'registered_model', f.comparison],
      [`${V1}/datasets`, 'dataset', `"${f.dataset}"`],
      [`${V1}/monitors`, 'monitor', f.monitor],
      [`${V1}/alerts`, 'monitor', f.rule],
      [`${V1}/deployments`, 'deployment', `"${f.deployment}"`],
      [`${V1}/pipeline-runs`, 'experiment', f.pipelineRun],
      [`${V1}/features/views`, 'feature_view', `"${f.featureView}"`],
      [`${V1}/prompts`, 'registered_model', `"${f.prompt}"`],
      [`${V1}/review/queues`, 'review_queue', `"${f.queue}"`],
    ];
    for (const [url, kind, marker] of LISTS) {
      const hidden = await call('GET', { url }, as('sam'));
      expect({ url, status: hidden.status, shows: hidden.body.includes(marker) }).toEqual({ url, status: 200, shows: false });
      await grant(f, kind, 'READ');
      const shown = await call('GET', { url }, as('sam'));
      expect({ url, status: shown.status, shows: shown.body.includes(marker) }).toEqual({ url, status: 200, shows: true });
      await grant(f, kind, 'NO_PERMISSIONS');
    }
  });

  it('shows in lineage only the nodes the caller may read', async () => {
    const f = await fixture();
    const lineage = async () => call('GET', { url: `${V1}/lineage/run/${f.run}?direction=downstream` }, as('sam'));
    const kinds = async () => {
      const res = await lineage();
      expect(res.status).toBe(200);
      const graph = JSON.parse(res.body) as { nodes: { kind: string; id: string }[]; edges: { from: { kind: string }; to: { kind: string } }[] };
      return { nodes: graph.nodes.map((n) => n.kind).sort(), edges: graph.edges.map((e) => `${e.from.kind}->${e.to.kind}`).sort() };
    };
    // The run itself is hidden while its experiment is: the node alone, as for an id nobody knows.
    expect(await kinds()).toEqual({ nodes: ['run'], edges: [] });
    const unknown = JSON.parse((await call('GET', { url: `${V1}/lineage/run/${'f'.repeat(32)}?direction=downstream` }, as('sam'))).body) as { nodes: unknown[]; edges: unknown[] };
    expect([unknown.nodes.length, unknown.edges.length]).toEqual([1, 0]);
    await grant(f, 'experiment', 'READ');
    // The evaluation and the model version belong to a model sam may not read.
    expect(await kinds()).toEqual({ nodes: ['run'], edges: [] });
    await grant(f, 'registered_model', 'READ');
    expect(await kinds()).toEqual({ nodes: ['evaluation', 'model_version', 'run'], edges: ['evaluation->model_version', 'run->evaluation', 'run->model_version'] });
  });

  it('allows workspace routes by role, admin routes to admins only, and the rest to anyone signed in', async () => {
    const shared = await fixture();
    const ROLE_RANK = { vic: 1, sam: 3, max: 4 } as const;
    const wrong: ReturnType<typeof show>[] = [];
    const NEED_RANK = { READ: 1, EDIT: 3, MANAGE: 4 } as const;
    for (const key of apiRoutes()) {
      const c = CASES[key]!;
      if (c.need === 'public' || (typeof c.need === 'object' && !('workspace' in c.need))) continue;
      const method = key.split(' ')[0] as Method;
      for (const user of Object.keys(USERS) as (keyof typeof USERS)[]) {
        const res = await call(method, c.req(c.fresh ? await fixture() : shared), as(user));
        const allowed = c.need === 'signed-in' ? true : c.need === 'admin' ? false : ROLE_RANK[user] >= NEED_RANK[c.need.workspace];
        // A route about an object the user may not read answers as for an unknown one (404) before any role check.
        if (allowed ? isDenied(res.status) : !(res.status === 403 || isHidden(res))) wrong.push(show(key, user, res));
      }
      const res = await call(method, c.req(c.fresh ? await fixture() : shared), asAdmin);
      if (isDenied(res.status)) wrong.push(show(key, 'root', res));
    }
    expect(wrong).toEqual([]);
  }, 900_000);

  it("allows each project route exactly from the project role it needs, and hides the project from outsiders", async () => {
    const shared = await fixture();
    const ROLES = [['none', 0], ['viewer', 1], ['editor', 3], ['admin', 4]] as const;
    const NEED_RANK = { READ: 1, EDIT: 3, MANAGE: 4 } as const;
    const wrong: ReturnType<typeof show>[] = [];
    let checked = 0;
    for (const key of apiRoutes()) {
      const c = CASES[key]!;
      if (typeof c.need !== 'object' || !('project' in c.need)) continue;
      const method = key.split(' ')[0] as Method;
      for (const [role, rank] of ROLES) {
        const f = c.fresh ? await fixture() : shared;
        if (role === 'none') await call('DELETE', { url: `${V1}/projects/${f.project}/members/user/sam` }, asAdmin);
        else await admin('PUT', `${V1}/projects/${f.project}/members/user/sam`, { role });
        const res = await call(method, c.req(f), as('sam'));
        const allowed = rank >= NEED_RANK[c.need.project];
        if (allowed ? isDenied(res.status) || res.status === 404 : role === 'none' ? !isHidden(res) : res.status !== 403) wrong.push(show(key, `sam@${role}`, res));
        checked++;
      }
    }
    expect(wrong).toEqual([]);
    // Every project route was tried under every role (traces, budgets, retention of traces… at least 16 routes).
    const projectRoutes = apiRoutes().filter((key) => typeof CASES[key]!.need === 'object' && 'project' in (CASES[key]!.need as object)).length;
    expect(projectRoutes).toBeGreaterThanOrEqual(16);
    expect(checked).toBe(projectRoutes * ROLES.length);
  }, 300_000);
});
