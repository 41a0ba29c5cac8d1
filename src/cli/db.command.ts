import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { backupDatabase, migrate, openDatabase } from '../store/db.js';
import { redact } from './server.command.js';

export function registerDbCommand(program: Command): void {
  const db = program.command('db').description('Database maintenance');
  db.command('migrate')
    .description('Bring the database schema up to date (the server also does this on start)')
    .option('--db <url>', 'database URL (default: the embedded SQLite database under --home)')
    .option('--home <dir>', 'data directory')
    .action(async (opts: { db?: string; home?: string }) => {
      const config = loadConfig(opts);
      const database = await openDatabase(config.dbUrl);
      try {
        const applied = await migrate(database);
        console.log(applied.length > 0 ? `Applied ${applied.join(', ')} to ${redact(config.dbUrl)}` : `${redact(config.dbUrl)} is up to date`);
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
      const { bytes } = await backupDatabase(config.dbUrl, file);
      console.log(`Backed up ${redact(config.dbUrl)} to ${file} (${bytes} bytes)`);
    });
}
