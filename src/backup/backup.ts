import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { openArtifactStore } from '../artifacts/open-artifact-store.js';
import type { S3Config } from '../artifacts/s3.artifact-store.js';
import { DomainError, invalid, invalidState } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { dialectOf, migrationStatus, openDatabase } from '../store/db.js';
import { migrations } from '../store/migrations/index.js';
import { SqlArtifactFilesStore } from '../store/sql/artifacts.sql-store.js';
import { readArtifactManifest, restoreArtifacts, writeArtifactManifest, type ArtifactRestoreResult, type ManifestEntry } from './artifact-manifest.js';
import { DUMP_FILE, dumpDatabase, restoreDatabase } from './database-dump.js';

/**
 * A backup is a directory: `backup.json` (this description), the database dump, `artifacts.jsonl` (every file of
 * the artifact store with size and digest) and, for local stores or when asked, `artifacts/` with the files.
 */
const Description = z.object({
  format: z.literal('openexpert-backup'),
  formatVersion: z.literal(1),
  version: z.string(),
  createdAt: z.string(),
  database: z.object({
    dialect: z.enum(['sqlite', 'postgres']),
    file: z.string(),
    bytes: z.number().int(),
    sha256: z.string(),
    schema: z.string().optional(),
    migrations: z.array(z.string()),
  }),
  artifacts: z.object({
    uri: z.string(),
    manifest: z.string(),
    files: z.number().int(),
    bytes: z.number().int(),
    included: z.boolean(),
  }),
});
export type BackupDescription = z.infer<typeof Description>;

export interface Endpoints {
  readonly dbUrl: string;
  readonly artifactsUri: string;
  readonly s3: S3Config;
}

const MANIFEST = 'artifacts.jsonl';
const FILES = 'artifacts';

/** Local stores are copied whole; an S3 store is listed only, unless `artifactFiles` asks for its files too. */
export async function createBackup(
  target: string,
  from: Endpoints,
  options: { artifactFiles?: boolean; onFile?: (entry: ManifestEntry) => void } = {},
): Promise<BackupDescription> {
  if (fs.existsSync(target) && fs.readdirSync(target).length > 0) throw new DomainError('RESOURCE_ALREADY_EXISTS', `'${target}' is not empty; a backup never overwrites one`);
  fs.mkdirSync(target, { recursive: true });
  const dialect = dialectOf(from.dbUrl);
  const handle = await openDatabase(from.dbUrl);
  try {
    const status = await migrationStatus(handle);
    if (status.applied.length === 0) throw invalid('The database has no OpenExpert schema; there is nothing to back up');
    const dump = await dumpDatabase(from.dbUrl, path.join(target, DUMP_FILE[dialect]));
    const store = openArtifactStore(from.artifactsUri, from.s3);
    const included = options.artifactFiles ?? !store.uri.startsWith('s3://');
    const recorded = new SqlArtifactFilesStore(handle);
    const counted = await writeArtifactManifest(store, path.join(target, MANIFEST), {
      ...(included ? { filesDir: path.join(target, FILES) } : {}),
      recordedDigest: async (p) => (await recorded.get(p))?.sha256,
      ...(options.onFile ? { onFile: options.onFile } : {}),
    });
    const description: BackupDescription = {
      format: 'openexpert-backup',
      formatVersion: 1,
      version: VERSION,
      createdAt: new Date().toISOString(),
      database: {
        dialect,
        file: path.basename(dump.file),
        bytes: fs.statSync(dump.file).size,
        sha256: await sha256Of(dump.file),
        ...(dump.schema ? { schema: dump.schema } : {}),
        migrations: status.applied.map((m) => m.name),
      },
      artifacts: { uri: store.uri, manifest: MANIFEST, ...counted, included },
    };
    // Written last: a directory without it is an interrupted backup, and restore refuses it.
    fs.writeFileSync(path.join(target, 'backup.json'), `${JSON.stringify(description, null, 2)}\n`);
    return description;
  } finally {
    await handle.close();
  }
}

export function readBackup(dir: string): BackupDescription {
  const file = path.join(dir, 'backup.json');
  if (!fs.existsSync(file)) throw invalid(`'${dir}' is not a complete backup: it has no backup.json`);
  const parsed = Description.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw invalid(`'${file}' is not a backup description this version reads: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export interface RestoreResult {
  readonly description: BackupDescription;
  readonly artifacts: ArtifactRestoreResult;
  /** Migrations this release has that the restored database has not had yet; the server runs them on start. */
  readonly pending: readonly string[];
}

/**
 * Restores a backup into `to`. The dump's digest is checked first; a backup of a newer release (a migration this
 * release does not know) is refused, because migrations only go forward.
 */
export async function restoreBackup(
  dir: string,
  to: Endpoints,
  options: { replace?: boolean; onFile?: (entry: ManifestEntry) => void } = {},
): Promise<RestoreResult> {
  const description = readBackup(dir);
  const dumpFile = path.join(dir, description.database.file);
  if ((await sha256Of(dumpFile)) !== description.database.sha256) throw invalidState(`'${dumpFile}' does not match the digest in backup.json; the backup is damaged`);
  const known = new Set(Object.keys(migrations(description.database.dialect)));
  const newer = description.database.migrations.filter((name) => !known.has(name));
  if (newer.length > 0) {
    throw invalidState(`The backup was made by a newer release (${description.version}, migrations ${newer.join(', ')}); restore it with that release or a later one`);
  }
  await restoreDatabase(
    { dialect: description.database.dialect, file: dumpFile, ...(description.database.schema ? { schema: description.database.schema } : {}) },
    to.dbUrl,
    { ...(options.replace !== undefined ? { replace: options.replace } : {}) },
  );
  const handle = await openDatabase(to.dbUrl);
  let pending: readonly string[];
  try {
    pending = (await migrationStatus(handle)).pending;
  } finally {
    await handle.close();
  }
  const store = openArtifactStore(to.artifactsUri, to.s3);
  const artifacts = await restoreArtifacts(store, await readArtifactManifest(path.join(dir, description.artifacts.manifest)), {
    ...(description.artifacts.included ? { filesDir: path.join(dir, FILES) } : {}),
    ...(options.onFile ? { onFile: options.onFile } : {}),
  });
  return { description, artifacts, pending };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}
