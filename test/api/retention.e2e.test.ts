import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type RunningS3rver } from '../../src/artifacts/s3rver.fixture.js';
import { AuditLog } from '../../src/domain/governance/audit-log.js';
import { openDatabase } from '../../src/store/db.js';
import { SqlGovernanceStore } from '../../src/store/sql/governance.sql-store.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * Retention and deletion for good (issue 24): a deleted run is gone from the API, from search, from every
 * table in the database and from the object store, and each deletion leaves a record in the audit chain
 * that still verifies. Checked in the database file and the object store themselves, not through the API.
 */
const V1 = '/api/v1';
const M = '/api/2.0/mlflow';
const DAY = 86_400_000;

type Api = ReturnType<typeof jsonClient>;

async function makeRun(api: Api, url: string, experimentId: string, ageDays: number, name: string) {
  const created = await api.post(`${V1}/runs`, { experimentId, runName: name, startTime: Date.now() - ageDays * DAY });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const runId = created.body.info.runId as string;
  const metrics = Array.from({ length: 50 }, (_, step) => ({ key: 'loss', value: 1 / (step + 1), timestamp: Date.now(), step }));
  expect((await api.post(`${V1}/runs/${runId}/batch`, { params: [{ key: 'lr', value: '0.1' }], tags: [{ key: 'team', value: 'a' }], metrics })).status).toBe(200);
  // Two artifact files through the proxy, as the MLflow client uploads them.
  const root = (created.body.info.artifactUri as string).replace(/^mlflow-artifacts:\/?/, '');
  for (const [file, body] of [['model/weights.bin', 'x'.repeat(1000)], ['notes.txt', 'hello']] as const) {
    expect((await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${root}/${file}`, { method: 'PUT', body })).status).toBe(200);
  }
  return runId;
}

async function finished(api: Api, jobId: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const job = (await api.get(`${V1}/retention/jobs/${jobId}`)).body;
    if (job.state !== 'running' || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Rows left for these runs in every table that holds run data, read from the database file itself. */
function rowsLeft(dbFile: string, runIds: readonly string[]): Record<string, number> {
  const db = new Database(dbFile, { readonly: true });
  try {
    const marks = runIds.map(() => '?').join(',');
    const count = (q: string, ...args: unknown[]) => (db.prepare(q).get(...args) as { n: number }).n;
    return {
      runs: count(`SELECT count(*) AS n FROM runs WHERE run_uuid IN (${marks})`, ...runIds),
      params: count(`SELECT count(*) AS n FROM params WHERE run_uuid IN (${marks})`, ...runIds),
      tags: count(`SELECT count(*) AS n FROM tags WHERE run_uuid IN (${marks})`, ...runIds),
      metrics: count(`SELECT count(*) AS n FROM metrics WHERE run_uuid IN (${marks})`, ...runIds),
      latest_metrics: count(`SELECT count(*) AS n FROM latest_metrics WHERE run_uuid IN (${marks})`, ...runIds),
      lineage_edges: count(`SELECT count(*) AS n FROM lineage_edges WHERE (from_kind = 'run' AND from_id IN (${marks})) OR (to_kind = 'run' AND to_id IN (${marks}))`, ...runIds, ...runIds),
    };
  } finally {
    db.close();
  }
}

/** The deletion records in the audit chain, and whether the whole chain verifies. */
async function auditOf(dbFile: string) {
  const handle = await openDatabase(`sqlite:${dbFile}`);
  try {
    const store = new SqlGovernanceStore(handle);
    const entries = (await store.listAudit({ action: 'retention.purge', limit: 1000 })).map((e) => ({ ...e, detail: JSON.parse(e.detail) as Record<string, unknown> }));
    const verified = await new AuditLog(store, { now: () => Date.now() }).verify();
    return { entries, verified };
  } finally {
    await handle.close();
  }
}

describe('retention on the local artifact store', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: Api;
  beforeAll(async () => {
    server = await startTestServer();
    api = jsonClient(server.url);
  }, 60_000);
  afterAll(() => server?.close());

  it('deletes the runs older than the policy for good — rows, artifacts, search — and records each in the audit chain', async () => {
    const experimentId = (await api.post(`${M}/experiments/create`, { name: 'churn' })).body.experiment_id as string;
    const other = (await api.post(`${M}/experiments/create`, { name: 'kept' })).body.experiment_id as string;
    const old1 = await makeRun(api, server.url, experimentId, 40, 'old-1');
    const old2 = await makeRun(api, server.url, experimentId, 31, 'old-2');
    const young = await makeRun(api, server.url, experimentId, 5, 'young');
    const elsewhere = await makeRun(api, server.url, other, 400, 'other-experiment');

    const policy = await api.post(`${V1}/retention/policies`, { scope: { kind: 'experiment', id: 'churn' }, maxAgeDays: 30 });
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    expect(policy.body.scope).toEqual({ kind: 'experiment', id: experimentId });
    const dry = await api.post(`${V1}/retention/apply`, { dryRun: true });
    expect(dry.body.runs.map((r: { runId: string }) => r.runId).sort()).toEqual([old1, old2].sort());
    expect((await api.get(`${V1}/runs/${old1}`)).status).toBe(200);

    const applied = await api.post(`${V1}/retention/apply`, {});
    expect(applied.status).toBe(202);
    const job = await finished(api, applied.body.job.id);
    expect(job).toMatchObject({ state: 'done', total: 2, deleted: 2, error: null });
    // Each run: 1 run row, 1 param, its tags, 50 metric points, 1 latest value; 2 files of 1000 and 5 bytes.
    expect(job.counts).toMatchObject({ artifactFiles: 4, artifactBytes: 2 * 1005, rows: { runs: 2, params: 2, metrics: 100, latest_metrics: 2 } });

    for (const id of [old1, old2]) expect((await api.get(`${V1}/runs/${id}`)).status).toBe(404);
    const search = await api.post(`${V1}/runs/search`, { experimentIds: [experimentId], view: 'ALL' });
    expect(search.body.items.map((r: { info: { runId: string } }) => r.info.runId)).toEqual([young]);
    const dbFile = path.join(server.home, 'openexpert.db');
    expect(rowsLeft(dbFile, [old1, old2])).toEqual({ runs: 0, params: 0, tags: 0, metrics: 0, latest_metrics: 0, lineage_edges: 0 });
    expect(rowsLeft(dbFile, [young, elsewhere])).toMatchObject({ runs: 2, params: 2, metrics: 100 });
    for (const id of [old1, old2]) expect(fs.existsSync(path.join(server.home, 'artifacts', experimentId, id))).toBe(false);
    expect(fs.existsSync(path.join(server.home, 'artifacts', experimentId, young, 'artifacts', 'notes.txt'))).toBe(true);

    const { entries, verified } = await auditOf(dbFile);
    expect(entries.map((e) => e.object).sort()).toEqual([`run:${old1}`, `run:${old2}`].sort());
    for (const e of entries) {
      expect(e.detail).toMatchObject({ job: job.id, experimentId, policy: policy.body.id, artifactFiles: 2, artifactBytes: 1005, rows: { runs: 1, params: 1, metrics: 50 } });
      expect(e.detail.digest).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(verified.ok).toBe(true);
    // Applying again finds nothing more to delete.
    expect((await api.post(`${V1}/retention/apply`, { dryRun: true })).body.runs).toEqual([]);
  }, 120_000);

  it('deletes LLM traces of a project and trace type older than the policy, and named traces on request, for good and on the record', async () => {
    expect((await api.post(`${V1}/projects`, { name: 'support' })).status).toBe(201);
    expect((await api.post(`${V1}/projects`, { name: 'sales' })).status).toBe(201);
    let k = 0;
    /** A trace of `spans` spans (a root and its children) that started `ageDays` ago. */
    const trace = async (project: string, name: string, ageDays: number, spans: number) => {
      const traceId = (0xa11ce000 + ++k).toString(16).padStart(32, '0');
      const start = Date.now() - ageDays * DAY;
      const spanId = (i: number) => (k * 16 + i + 1).toString(16).padStart(16, '0');
      const body = Array.from({ length: spans }, (_, i) => ({
        traceId, spanId: spanId(i), ...(i === 0 ? {} : { parentSpanId: spanId(0) }),
        name: i === 0 ? name : `step-${i}`, startTime: start + i, endTime: start + i + 1, status: 'ok',
      }));
      const res = await api.post(`${V1}/traces`, { project, spans: body });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return traceId;
    };
    const oldRag = [await trace('support', 'rag-query', 40, 2), await trace('support', 'rag-query', 35, 3), await trace('support', 'rag-query', 31, 1)];
    const oldChat = [await trace('support', 'chat', 40, 2), await trace('support', 'chat', 90, 2)];
    const youngRag = await trace('support', 'rag-query', 1, 2);
    const otherProject = await trace('sales', 'rag-query', 40, 2);

    const policy = await api.post(`${V1}/retention/policies`, { scope: { kind: 'traces', id: 'support/rag-query' }, maxAgeDays: 30 });
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    expect(policy.body.scope).toEqual({ kind: 'traces', id: 'support/rag-query' });
    const dry = await api.post(`${V1}/retention/apply`, { dryRun: true });
    expect(dry.body.runs).toEqual([]);
    expect(dry.body.traces).toEqual([{ policy: policy.body.id, project: 'support', traceName: 'rag-query', olderThan: expect.any(Number), traces: 3 }]);

    const applied = await api.post(`${V1}/retention/apply`, {});
    expect(applied.status).toBe(202);
    const job = await finished(api, applied.body.job.id);
    // 3 traces of 2 + 3 + 1 spans.
    expect(job).toMatchObject({ state: 'done', total: 1, deleted: 1, error: null, counts: { rows: { llm_traces: 3, llm_spans: 6 }, artifactFiles: 0 } });

    const dbFile = path.join(server.home, 'openexpert.db');
    const left = (ids: readonly string[]) => {
      const db = new Database(dbFile, { readonly: true });
      try {
        const marks = ids.map(() => '?').join(',');
        return {
          traces: (db.prepare(`SELECT count(*) AS n FROM llm_traces WHERE trace_id IN (${marks})`).get(...ids) as { n: number }).n,
          spans: (db.prepare(`SELECT count(*) AS n FROM llm_spans WHERE trace_id IN (${marks})`).get(...ids) as { n: number }).n,
        };
      } finally {
        db.close();
      }
    };
    expect(left(oldRag)).toEqual({ traces: 0, spans: 0 });
    expect(left([...oldChat, youngRag, otherProject])).toEqual({ traces: 4, spans: 8 });
    for (const id of oldRag) expect((await api.get(`${V1}/traces/${id}`)).status).toBe(404);
    const listed = (await api.get(`${V1}/traces?project=support`)).body.items.map((t: { traceId: string }) => t.traceId).sort();
    expect(listed).toEqual([...oldChat, youngRag].sort());

    // An erasure request for one trace of another project.
    const purge = await api.post(`${V1}/retention/purge-traces`, { traceIds: [otherProject], reason: 'erasure request 77' });
    expect(purge.status, JSON.stringify(purge.body)).toBe(202);
    expect(await finished(api, purge.body.id)).toMatchObject({ state: 'done', counts: { rows: { llm_traces: 1, llm_spans: 2 } } });
    expect(left([otherProject])).toEqual({ traces: 0, spans: 0 });
    expect((await api.post(`${V1}/retention/purge-traces`, { traceIds: [otherProject] })).status).toBe(404);

    const { entries, verified } = await auditOf(dbFile);
    const byPolicy = entries.find((e) => e.object === 'traces:support/rag-query');
    expect(byPolicy?.detail).toMatchObject({ job: job.id, policy: policy.body.id, traces: 3, rows: { llm_traces: 3, llm_spans: 6 } });
    expect(byPolicy?.detail.digest).toMatch(/^[0-9a-f]{64}$/);
    const byRequest = entries.find((e) => e.object === `traces:${otherProject}`);
    expect(byRequest?.summary).toContain('erasure request 77');
    expect(verified.ok).toBe(true);
    expect((await api.post(`${V1}/retention/apply`, { dryRun: true })).body.traces).toEqual([]);
    expect((await api.call('DELETE', `${V1}/retention/policies/${policy.body.id}`)).status).toBe(200);
  }, 120_000);

  it('refuses a traces scope that names no project, naming the field', async () => {
    const res = await api.post(`${V1}/retention/policies`, { scope: { kind: 'traces', id: 'Not A Project/rag' }, maxAgeDays: 7 });
    expect([res.status, res.body.error.message]).toEqual([400, expect.stringContaining('scope.id')]);
    const empty = await api.post(`${V1}/retention/policies`, { scope: { kind: 'traces', id: 'support/' }, maxAgeDays: 7 });
    expect(empty.status).toBe(400);
  });

  it('refuses a policy without its scope or with a bad age, naming the field, and stores nothing', async () => {
    const before = (await api.get(`${V1}/retention/policies`)).body.items.length;
    const noScope = await api.post(`${V1}/retention/policies`, { scope: { kind: 'project' }, maxAgeDays: 30 });
    expect([noScope.status, noScope.body.error.message]).toEqual([400, expect.stringContaining('scope.id')]);
    const badAge = await api.post(`${V1}/retention/policies`, { scope: { kind: 'server' }, maxAgeDays: 0 });
    expect([badAge.status, badAge.body.error.message]).toEqual([400, expect.stringContaining('maxAgeDays')]);
    const unknown = await api.post(`${V1}/retention/policies`, { scope: { kind: 'experiment', id: 'nope' }, maxAgeDays: 3 });
    expect(unknown.status).toBe(404);
    expect((await api.get(`${V1}/retention/policies`)).body.items).toHaveLength(before);
  });
});

describe('deletion on S3', () => {
  let s3: RunningS3rver;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: Api;
  beforeAll(async () => {
    s3 = await startS3rver('retention');
    server = await startTestServer({ artifacts: 's3://retention/root' }, {
      OPENEXPERT_S3_ENDPOINT: s3.config.endpoint!, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1',
    });
    api = jsonClient(server.url);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await s3?.stop();
  });

  it('purges a run on request: its objects are gone from the bucket and the audit record counts them', async () => {
    const experimentId = (await api.post(`${M}/experiments/create`, { name: 'on-s3' })).body.experiment_id as string;
    const gone = await makeRun(api, server.url, experimentId, 0, 'gone');
    const kept = await makeRun(api, server.url, experimentId, 0, 'kept');
    const client = new S3Client({ ...s3.config, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const keys = async (prefix: string) => ((await client.send(new ListObjectsV2Command({ Bucket: 'retention', Prefix: prefix }))).Contents ?? []).map((o) => o.Key);
    expect(await keys(`root/${experimentId}/${gone}/`)).toHaveLength(2);

    const started = await api.post(`${V1}/retention/purge`, { runIds: [gone], reason: 'GDPR erasure request 1234' });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const job = await finished(api, started.body.id);
    expect(job).toMatchObject({ state: 'done', deleted: 1, counts: { artifactFiles: 2, artifactBytes: 1005 } });
    expect(await keys(`root/${experimentId}/${gone}/`)).toEqual([]);
    expect(await keys(`root/${experimentId}/${kept}/`)).toHaveLength(2);
    expect((await api.get(`${V1}/runs/${gone}`)).status).toBe(404);
    const { entries, verified } = await auditOf(path.join(server.home, 'openexpert.db'));
    expect(entries).toHaveLength(1);
    expect(entries[0]!.summary).toContain('GDPR erasure request 1234');
    expect(verified.ok).toBe(true);
    client.destroy();
  }, 120_000);
});
