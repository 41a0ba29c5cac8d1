import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyPgSchema, sqliteTempUrl, TEST_PG_URL } from '../../test/support/backends.js';
import { S3ArtifactStore } from '../artifacts/s3.artifact-store.js';
import { startS3rver, type RunningS3rver } from '../artifacts/s3rver.fixture.js';
import { migrate, openDatabase, withPgUser } from '../store/db.js';
import { SqlArtifactFilesStore } from '../store/sql/artifacts.sql-store.js';
import { SqlTrackingStore } from '../store/sql/tracking.sql-store.js';
import { createBackup, restoreBackup } from './backup.js';

const S3_NONE = { region: 'us-east-1', forcePathStyle: true };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-backup-set-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Experiments, runs with params and metric histories, written through the store as the server would. */
async function seed(url: string): Promise<void> {
  const handle = await openDatabase(url);
  try {
    await migrate(handle);
    const store = new SqlTrackingStore(handle);
    const experimentId = await store.createExperiment({ name: 'churn', artifactLocation: (id) => `mlflow-artifacts:/${id}`, tags: [{ key: 'team', value: 'ml' }], now: 1 });
    for (let i = 0; i < 30; i++) {
      const runId = `run${String(i).padStart(29, '0')}`;
      await store.createRun({ runId, experimentId, runName: `r${i}`, userId: 'ana', startTime: 1000 + i, artifactUri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`, tags: [] });
      await store.logBatch(runId, {
        params: [{ key: 'lr', value: String(i / 100) }],
        tags: [{ key: 'i', value: String(i) }],
        metrics: Array.from({ length: 50 }, (_, step) => ({ key: 'loss', value: 1 / (step + 1 + i), timestamp: 2000 + step, step })),
      });
    }
  } finally {
    await handle.close();
  }
}

/** What the database holds, read with plain SQL: counts per table and a digest of every metric point. */
async function snapshot(url: string): Promise<Record<string, number | string>> {
  const handle = await openDatabase(url);
  try {
    const out: Record<string, number | string> = {};
    for (const table of ['experiments', 'experiment_tags', 'runs', 'params', 'tags', 'metrics', 'latest_metrics', 'kysely_migration']) {
      const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(handle.db);
      out[table] = Number(rows[0]!.n);
    }
    const { rows } = await sql<{ run_uuid: string; step: number; value: number }>`select run_uuid, step, value from metrics order by run_uuid, step`.execute(handle.db);
    out.metricDigest = sha256(rows.map((r) => `${r.run_uuid}/${r.step}/${r.value}`).join('\n'));
    return out;
  } finally {
    await handle.close();
  }
}

function writeArtifacts(dir: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {
    '1/run0/artifacts/model/model.onnx': Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256)),
    '1/run0/artifacts/metrics.json': Buffer.from('{"acc": 0.9}\n'),
    'datasets/blobs/ab/abcdef': Buffer.from('a,b\n1,2\n'),
  };
  for (const [rel, bytes] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), bytes);
  }
  return files;
}

function readTree(dir: string, prefix = ''): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (prefix === '' && entry.name === '.tmp') continue; // the local store's upload area
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) Object.assign(out, readTree(path.join(dir, entry.name), rel));
    else out[rel] = fs.readFileSync(path.join(dir, entry.name));
  }
  return out;
}

async function dropSchemaOf(url: string): Promise<void> {
  const schema = /search_path=([a-z0-9_]+)/.exec(decodeURIComponent(url))![1]!;
  const client = new pg.Client({ connectionString: withPgUser(TEST_PG_URL) });
  await client.connect();
  await client.query(`drop schema "${schema}" cascade`);
  await client.end();
}

describe.each(['sqlite', 'postgres'] as const)('backup and restore on %s', (backend) => {
  let source: string;
  let pgSchema: { url: string; drop(): Promise<void> } | undefined;
  let artifactsDir: string;
  let files: Record<string, Buffer>;
  let before: Record<string, number | string>;

  beforeAll(async () => {
    pgSchema = backend === 'postgres' ? await emptyPgSchema('backup') : undefined;
    source = pgSchema?.url ?? sqliteTempUrl('source.db');
    await seed(source);
    artifactsDir = fs.mkdtempSync(path.join(work, 'artifacts-'));
    files = writeArtifacts(artifactsDir);
    before = await snapshot(source);
  }, 60_000);
  afterAll(async () => {
    await pgSchema?.drop();
  });

  it('restores the same rows and the same artifact bytes, each file listed with its size and digest', async () => {
    const dir = path.join(work, `${backend}-round-trip`);
    const made = await createBackup(dir, { dbUrl: source, artifactsUri: artifactsDir, s3: S3_NONE });
    expect(made.database).toMatchObject({ dialect: backend, file: backend === 'sqlite' ? 'database.sqlite' : 'database.pgdump' });
    expect(made.database.migrations).toHaveLength(Number(before.kysely_migration));
    expect(made.artifacts).toMatchObject({ files: 3, bytes: Object.values(files).reduce((n, b) => n + b.length, 0), included: true });
    const manifest = fs.readFileSync(path.join(dir, 'artifacts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(manifest).toEqual(
      expect.arrayContaining(Object.entries(files).map(([p, bytes]) => ({ path: p, size: bytes.length, sha256: sha256(bytes) }))),
    );
    expect(manifest).toHaveLength(3);

    // Disaster: the database is gone. PostgreSQL's dump recreates its schema under its own name.
    let target: string;
    if (backend === 'postgres') {
      await dropSchemaOf(source);
      target = source;
    } else target = sqliteTempUrl('restored.db');
    const restoredArtifacts = fs.mkdtempSync(path.join(work, 'restored-'));
    const result = await restoreBackup(dir, { dbUrl: target, artifactsUri: restoredArtifacts, s3: S3_NONE });

    expect(result.artifacts).toEqual({ restored: 3, present: 0, missing: [] });
    expect(result.pending).toEqual([]);
    expect(await snapshot(target)).toEqual(before);
    expect(readTree(restoredArtifacts)).toEqual(files);
  }, 60_000);

  it('refuses to restore over a database unless told to replace it, and refuses a damaged or newer backup', async () => {
    const dir = path.join(work, `${backend}-refusals`);
    await createBackup(dir, { dbUrl: source, artifactsUri: artifactsDir, s3: S3_NONE });
    const into = { dbUrl: source, artifactsUri: fs.mkdtempSync(path.join(work, 'again-')), s3: S3_NONE };
    await expect(restoreBackup(dir, into)).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
    await expect(createBackup(dir, into)).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });

    // A run added after the backup is gone once the backup replaces the database.
    const handle = await openDatabase(source);
    await sql`delete from runs where run_uuid = ${`run${'0'.repeat(29)}`}`.execute(handle.db);
    await handle.close();
    expect((await snapshot(source)).runs).toBe(Number(before.runs) - 1);
    await restoreBackup(dir, into, { replace: true });
    expect(await snapshot(source)).toEqual(before);

    const description = JSON.parse(fs.readFileSync(path.join(dir, 'backup.json'), 'utf8')) as { database: { migrations: string[] } };
    description.database.migrations.push('9999-from-the-future');
    fs.writeFileSync(path.join(dir, 'backup.json'), JSON.stringify(description));
    await expect(restoreBackup(dir, into, { replace: true })).rejects.toThrow(/newer release .*9999-from-the-future/);

    fs.appendFileSync(path.join(dir, backend === 'sqlite' ? 'database.sqlite' : 'database.pgdump'), 'x');
    await expect(restoreBackup(dir, into, { replace: true })).rejects.toThrow(/damaged/);
    expect(await snapshot(source)).toEqual(before);
  }, 60_000);
});

describe('backup of an S3 artifact store', () => {
  let s3: RunningS3rver;
  beforeAll(async () => {
    s3 = await startS3rver('backups');
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('lists the bucket with recorded digests, copies files only when asked, and reports what a restore finds missing', async () => {
    const dbUrl = sqliteTempUrl('s3.db');
    await seed(dbUrl);
    const uri = `s3://${s3.bucket}/oe`;
    // Files two levels deep: s3rver 3.7 was seen leaving the common prefix `p/1/` out of a delimited listing of `p/`
    // when the only key under it was `p/1/a/b.bin` (its XML lacks it), which hides the file from any walk.
    const store = S3ArtifactStore.fromUri(uri, s3.config);
    const recordedBytes = Buffer.from('recorded at upload');
    const stored = await store.put('1/model.bin', Readable.from([recordedBytes]));
    const handle = await openDatabase(dbUrl);
    await new SqlArtifactFilesStore(handle).record({ path: stored.path, size: stored.size, sha256: stored.sha256, updatedAt: 1 });
    await handle.close();
    await store.put('2/other.txt', Readable.from([Buffer.from('not recorded')]));

    const listed = await createBackup(path.join(work, 's3-listed'), { dbUrl, artifactsUri: uri, s3: s3.config });
    expect(listed.artifacts).toMatchObject({ files: 2, included: false });
    const lines = fs.readFileSync(path.join(work, 's3-listed', 'artifacts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      { path: '1/model.bin', size: recordedBytes.length, sha256: sha256(recordedBytes) },
      { path: '2/other.txt', size: 12, sha256: null },
    ]);
    expect(fs.existsSync(path.join(work, 's3-listed', 'artifacts'))).toBe(false);

    const copied = await createBackup(path.join(work, 's3-copied'), { dbUrl, artifactsUri: uri, s3: s3.config }, { artifactFiles: true });
    expect(copied.artifacts).toMatchObject({ files: 2, included: true });
    expect(fs.readFileSync(path.join(work, 's3-copied', 'artifacts', '2', 'other.txt'), 'utf8')).toBe('not recorded');

    await store.delete('2/other.txt');
    const restored = await restoreBackup(path.join(work, 's3-listed'), { dbUrl: sqliteTempUrl('s3-restored.db'), artifactsUri: uri, s3: s3.config });
    expect(restored.artifacts).toEqual({ restored: 0, present: 1, missing: ['2/other.txt'] });
  }, 60_000);
});
