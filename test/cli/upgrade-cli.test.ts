import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../src/store/db.js';
import { migrations } from '../../src/store/migrations/index.js';
import { sqliteTempUrl } from '../support/backends.js';
import { spawnServer, type ChildServer } from '../support/child-server.js';
import { runCli } from '../support/cli.js';

/**
 * A database as an older release left it: migrated only up to PREVIOUS, with data written by SQL as that schema
 * had it (duplicate metric points included: releases before 0011 stored a retried batch twice). This release's
 * `db status` names what is pending, `db migrate` brings it forward, and the server serves the old data.
 */
const PREVIOUS = '0010-governance-permissions';
const RUN = 'a'.repeat(32);

describe('upgrading a database made by an older release', () => {
  let url: string;
  let server: ChildServer | undefined;

  beforeAll(async () => {
    url = sqliteTempUrl('old.db');
    const handle = await openDatabase(url);
    try {
      await migrate(handle, { through: PREVIOUS });
      await sql`insert into experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
                values (7, 'legacy', 'mlflow-artifacts:/7', 'active', 100, 100)`.execute(handle.db);
      await sql`insert into runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
                values (${RUN}, 7, 'old-run', 'ana', 'FINISHED', 1000, 2000, 'active', ${`mlflow-artifacts:/7/${RUN}/artifacts`})`.execute(handle.db);
      await sql`insert into params (run_uuid, key, value) values (${RUN}, 'lr', '0.01')`.execute(handle.db);
      await sql`insert into tags (run_uuid, key, value) values (${RUN}, 'team', 'ml')`.execute(handle.db);
      for (const step of [0, 1, 1, 2]) {
        await sql`insert into metrics (run_uuid, key, value, timestamp, step, is_nan) values (${RUN}, 'loss', ${1 / (step + 1)}, ${1500 + step}, ${step}, 0)`.execute(handle.db);
      }
      await sql`insert into latest_metrics (run_uuid, key, value, timestamp, step, is_nan) values (${RUN}, 'loss', ${1 / 3}, 1502, 2, 0)`.execute(handle.db);
      await sql`insert into registered_models (id, name, description, creation_time, last_updated_time, last_version) values (3, 'churn', 'old model', 100, 100, 1)`.execute(handle.db);
      await sql`insert into model_versions (registered_model_id, version, creation_time, last_updated_time, user_id, current_stage, source, storage_location, run_id, status)
                values (3, 1, 100, 100, 'ana', 'Production', ${`runs:/${RUN}/model`}, ${`mlflow-artifacts:/7/${RUN}/artifacts/model`}, ${RUN}, 'READY')`.execute(handle.db);
    } finally {
      await handle.close();
    }
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('reports the pending migrations, migrates forward, and serves the old data through the API', async () => {
    const newer = Object.keys(migrations('sqlite')).filter((name) => name > PREVIOUS);
    expect(newer.length).toBeGreaterThan(0);

    const before = await runCli(['db', 'status', '--db', url, '--json']);
    expect(before.code, before.stderr).toBe(0);
    const status = JSON.parse(before.stdout) as { applied: { name: string }[]; pending: string[]; unknown: string[] };
    expect(status.pending).toEqual(newer);
    expect(status.applied.map((m) => m.name)).toEqual(Object.keys(migrations('sqlite')).filter((name) => name <= PREVIOUS));
    expect(status.unknown).toEqual([]);

    const migrated = await runCli(['db', 'migrate', '--db', url]);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toContain(`Applied ${newer.join(', ')}`);
    const after = await runCli(['db', 'status', '--db', url]);
    expect(after.stdout).toContain(`${Object.keys(migrations('sqlite')).length} applied, 0 pending`);

    server = await spawnServer(['--db', url, '--home', path.dirname(url.replace(/^sqlite:/, ''))]);
    const get = async (route: string) => {
      const res = await fetch(`${server!.url}${route}`);
      expect(res.status, route).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    const run = (await get(`/api/2.0/mlflow/runs/get?run_id=${RUN}`)).run as { info: Record<string, unknown>; data: Record<string, unknown> };
    expect(run.info).toMatchObject({ run_id: RUN, experiment_id: '7', run_name: 'old-run', status: 'FINISHED', start_time: 1000, end_time: 2000 });
    expect(run.data.params).toEqual([{ key: 'lr', value: '0.01' }]);
    expect(run.data.metrics).toEqual([{ key: 'loss', value: 1 / 3, timestamp: 1502, step: 2 }]);
    // 0011 folded the duplicated point at step 1 into one.
    const history = (await get(`/api/2.0/mlflow/metrics/get-history?run_id=${RUN}&metric_key=loss`)).metrics as { step: number }[];
    expect(history.map((m) => m.step)).toEqual([0, 1, 2]);
    const found = (await (await fetch(`${server.url}/api/2.0/mlflow/runs/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experiment_ids: ['7'], filter: "params.lr = '0.01' and metrics.loss < 0.5" }),
    })).json()) as { runs: { info: { run_id: string } }[] };
    expect(found.runs.map((r) => r.info.run_id)).toEqual([RUN]);
    const version = (await get('/api/2.0/mlflow/model-versions/get?name=churn&version=1')).model_version as Record<string, unknown>;
    expect(version).toMatchObject({ name: 'churn', version: '1', current_stage: 'Production', run_id: RUN });
  }, 120_000);

  it('refuses to pretend a database a newer release migrated is current', async () => {
    const handle = await openDatabase(url);
    await sql`insert into kysely_migration (name, timestamp) values ('9999-from-the-future', ${new Date().toISOString()})`.execute(handle.db);
    await handle.close();
    const status = await runCli(['db', 'status', '--db', url]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/9999-from-the-future\s+applied \(unknown to this release\)/);
    expect(status.stdout).toContain('was migrated by a newer release');
  }, 60_000);
});
