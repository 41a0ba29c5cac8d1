import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { ManifestEntry } from '../backup/artifact-manifest.js';
import { loadConfig } from '../config/config.js';
import { printJson, printTable } from './output.js';
import { redact } from './server.command.js';

interface Location {
  db?: string;
  home?: string;
  artifacts?: string;
}

export function registerDbCommand(program: Command): void {
  const db = program.command('db').description('Database maintenance');
  db.command('migrate')
    .description('Bring the database schema up to date (the server also does this on start)')
    .option('--db <url>', 'database URL (default: the embedded SQLite database under --home)')
    .option('--home <dir>', 'data directory')
    .action(async (opts: { db?: string; home?: string }) => {
      const config = loadConfig(opts);
      const { migrate, openDatabase } = await import('../store/db.js');
      const database = await openDatabase(config.dbUrl);
      try {
        const applied = await migrate(database);
        console.log(applied.length > 0 ? `Applied ${applied.join(', ')} to ${redact(config.dbUrl)}` : `${redact(config.dbUrl)} is up to date`);
      } finally {
        await database.close();
      }
    });
  db.command('status')
    .description('Applied and pending migrations (forward-only: a database a newer release migrated is reported, never rolled back)')
    .option('--db <url>', 'database URL (default: the embedded SQLite database under --home)')
    .option('--home <dir>', 'data directory')
    .option('--json', 'print JSON')
    .action(async (opts: { db?: string; home?: string; json?: boolean }) => {
      const config = loadConfig(opts);
      const { migrationStatus, openDatabase } = await import('../store/db.js');
      const database = await openDatabase(config.dbUrl);
      try {
        const status = await migrationStatus(database);
        if (opts.json) return printJson(status);
        const rows = [
          ...status.applied.map((m) => ({ name: m.name, state: status.unknown.includes(m.name) ? 'applied (unknown to this release)' : 'applied', at: m.appliedAt })),
          ...status.pending.map((name) => ({ name, state: 'pending', at: '' })),
        ];
        printTable(rows, [
          { header: 'MIGRATION', value: (r) => r.name },
          { header: 'STATE', value: (r) => r.state },
          { header: 'APPLIED AT', value: (r) => r.at },
        ]);
        console.log(
          status.unknown.length > 0
            ? `${redact(config.dbUrl)} was migrated by a newer release; run that release (migrations only go forward)`
            : `${status.applied.length} applied, ${status.pending.length} pending`,
        );
        if (status.unknown.length > 0) process.exitCode = 1;
      } finally {
        await database.close();
      }
    });
  db.command('backup <file>')
    .description('Copy the embedded SQLite database to <file>, consistently, while the server runs (PostgreSQL: use pg_dump)')
    .option('--db <url>', 'database URL (default: the embedded SQLite database under --home)')
    .option('--home <dir>', 'data directory')
    .action(async (file: string, opts: { db?: string; home?: string }) => {
      const config = loadConfig(opts);
      const { backupDatabase } = await import('../store/db.js');
      const { bytes } = await backupDatabase(config.dbUrl, file);
      console.log(`Backed up ${redact(config.dbUrl)} to ${file} (${bytes} bytes)`);
    });
}

/** A count of files on stderr while a backup or restore walks the artifact store (drawn only on a terminal). */
function fileProgress(title: string): { onFile: (entry: ManifestEntry) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar({ format: `${title} {value} file(s), {mb} MB`, hideCursor: true, noTTYOutput: false }, cliProgress.Presets.shades_classic);
  let started = false;
  let bytes = 0;
  return {
    onFile(entry) {
      bytes += entry.size;
      if (!started) bar.start(0, 0, { mb: '0' });
      started = true;
      bar.increment(1, { mb: (bytes / 1e6).toFixed(1) });
    },
    stop: () => started && bar.stop(),
  };
}

export function registerBackupCommands(program: Command): void {
  program
    .command('backup <dir>')
    .description('Back up the database (SQLite online, PostgreSQL with pg_dump) and the artifact store into the new directory <dir>: a manifest of every artifact with size and sha256, and the files themselves for a local store')
    .option('--db <url>', 'database URL (default: the embedded SQLite database under --home)')
    .option('--artifacts <uri>', 'artifact store (default: the artifact folder under --home)')
    .option('--home <dir>', 'data directory')
    .option('--artifact-files', 'copy the files of an S3 artifact store too (a local store is always copied)')
    .option('--json', 'print the backup description as JSON')
    .action(async (dir: string, opts: Location & { artifactFiles?: boolean; json?: boolean }) => {
      const config = loadConfig(opts);
      const started = performance.now();
      const progress = fileProgress('artifacts');
      const { createBackup } = await import('../backup/backup.js');
      const description = await createBackup(dir, config, { ...(opts.artifactFiles ? { artifactFiles: true } : {}), onFile: progress.onFile }).finally(progress.stop);
      if (opts.json) return printJson(description);
      const { database: d, artifacts: a } = description;
      console.log(`Backed up ${redact(config.dbUrl)} (${d.migrations.length} migrations, ${d.bytes} bytes) and ${a.files} artifact file(s) (${a.bytes} bytes, ${a.included ? 'copied' : 'listed only'}) to ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    });
  program
    .command('restore <dir>')
    .description('Restore a backup made by `openexpert backup` into the database and artifact store given (stop the servers first); the dump and every copied file are checked against their digests')
    .option('--db <url>', 'database URL (default: the embedded SQLite database under --home)')
    .option('--artifacts <uri>', 'artifact store (default: the artifact folder under --home)')
    .option('--home <dir>', 'data directory')
    .option('--replace', 'overwrite an existing OpenExpert database')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, opts: Location & { replace?: boolean; json?: boolean }) => {
      const config = loadConfig(opts);
      const started = performance.now();
      const progress = fileProgress('artifacts');
      const { restoreBackup } = await import('../backup/backup.js');
      const result = await restoreBackup(dir, config, { ...(opts.replace ? { replace: true } : {}), onFile: progress.onFile }).finally(progress.stop);
      if (opts.json) return printJson(result);
      const { artifacts: a } = result;
      console.log(`Restored ${dir} (made by ${result.description.version} on ${result.description.createdAt}) into ${redact(config.dbUrl)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      console.log(result.description.artifacts.included ? `${a.restored} artifact file(s) restored` : `${a.present} artifact file(s) present in ${config.artifactsUri}, ${a.missing.length} missing`);
      for (const missing of a.missing) console.log(`missing: ${missing}`);
      if (result.pending.length > 0) console.log(`${result.pending.length} migration(s) pending; the server runs them on start (or: openexpert db migrate)`);
      if (a.missing.length > 0) process.exitCode = 1;
    });
}
