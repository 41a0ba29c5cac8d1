import type { Command } from 'commander';
import type { Experiment } from '../sdk/index.js';
import { client, formatTime, printJson, printTable } from './output.js';

interface Common {
  url?: string;
  json?: boolean;
}

const columns = [
  { header: 'ID', value: (e: Experiment) => e.experimentId },
  { header: 'NAME', value: (e: Experiment) => e.name },
  { header: 'STAGE', value: (e: Experiment) => e.lifecycleStage },
  { header: 'CREATED', value: (e: Experiment) => formatTime(e.creationTime) },
  { header: 'ARTIFACTS', value: (e: Experiment) => e.artifactLocation },
];

export function registerExperimentsCommand(program: Command): void {
  const experiments = program.command('experiments').description('List, create and delete experiments');

  experiments
    .command('list')
    .description('List experiments')
    .option('--url <url>', 'server URL')
    .option('--filter <filter>', "e.g. \"name LIKE 'churn%'\"")
    .option('--all', 'include deleted experiments')
    .option('--project <name>', "only this project's experiments")
    .option('--max-results <n>', 'at most this many', '1000')
    .option('--json', 'print JSON')
    .action(async (opts: Common & { filter?: string; all?: boolean; maxResults: string; project?: string }) => {
      const page = await client(opts).experiments.search({
        filter: opts.filter, view: opts.all ? 'ALL' : 'ACTIVE_ONLY', maxResults: Number(opts.maxResults), ...(opts.project ? { project: opts.project } : {}),
      });
      if (opts.json) printJson(page.items);
      else printTable(page.items, columns);
    });

  experiments
    .command('create <name>')
    .description('Create an experiment')
    .option('--url <url>', 'server URL')
    .option('--artifact-location <uri>', 'where its artifacts go (default: the server artifact root)')
    .option('--project <name>', 'the project it goes in (default: the default project)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: Common & { artifactLocation?: string; project?: string }) => {
      const e = await client(opts).experiments.create(name, { ...(opts.artifactLocation ? { artifactLocation: opts.artifactLocation } : {}), ...(opts.project ? { project: opts.project } : {}) });
      if (opts.json) printJson(e);
      else console.log(`Created experiment '${e.name}' with id ${e.experimentId}`);
    });

  experiments
    .command('delete <id>')
    .description('Delete an experiment and its runs (restorable)')
    .option('--url <url>', 'server URL')
    .action(async (id: string, opts: Common) => {
      await client(opts).experiments.delete(id);
      console.log(`Deleted experiment ${id}`);
    });
}
