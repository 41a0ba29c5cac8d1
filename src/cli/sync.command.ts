import type { Command } from 'commander';
import { clientUrl } from '../config/config.js';
import { OpenExpert } from '../sdk/client.js';
import { defaultWalDir } from '../sdk/wal.js';
import { printJson, printTable } from './output.js';

/** `openexpert sync`: sends the runs the SDK kept offline; exits 1 when any could not be sent. */
export function registerSyncCommand(program: Command): void {
  program
    .command('sync [runIds...]')
    .description('Send runs logged offline (the SDK\'s offline mode, or a server that was unreachable) to the server, each point once; safe to repeat')
    .option('--url <url>', 'server URL (default $OPENEXPERT_URL or http://127.0.0.1:5000)')
    .option('--dir <dir>', 'where the offline logs are (default $OPENEXPERT_OFFLINE_DIR or ~/.openexpert/offline)')
    .option('--json', 'print JSON')
    .action(async (runIds: string[], opts: { url?: string; dir?: string; json?: boolean }) => {
      const dir = opts.dir ?? defaultWalDir();
      const oe = new OpenExpert({ url: clientUrl(opts.url), offline: false, offlineDir: dir, retry: { attempts: 3 } });
      const report = await oe.sync(runIds.length > 0 ? runIds : undefined);
      process.exitCode = report.some((r) => r.state === 'failed') ? 1 : 0;
      if (opts.json) return printJson(report);
      if (report.length === 0) {
        console.log(`nothing to sync in ${dir}`);
        return;
      }
      printTable(report, [
        { header: 'OFFLINE RUN', value: (r) => r.runId },
        { header: 'SERVER RUN', value: (r) => r.serverRunId },
        { header: 'STATE', value: (r) => r.state },
        { header: 'RECORDS', value: (r) => r.records },
        { header: 'METRICS', value: (r) => r.metrics },
        { header: 'PARAMS', value: (r) => r.params },
        { header: 'TAGS', value: (r) => r.tags },
        { header: 'NOTE', value: (r) => [r.tornTail ? 'last record torn by a crash, left out' : '', r.error ?? ''].filter(Boolean).join('; ') },
      ]);
    });
}
