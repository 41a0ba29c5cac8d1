import { Command } from 'commander';
import { VERSION } from '../core/version.js';
import { registerArtifactsCommand } from './artifacts.command.js';
import { registerBackupCommands, registerDbCommand } from './db.command.js';
import { registerDatasetsCommand } from './datasets.command.js';
import { registerDeploymentsCommand } from './deployments.command.js';
import { registerEvaluateCommand, registerModelCardCommand } from './evaluate.command.js';
import { registerExperimentsCommand } from './experiments.command.js';
import { registerExplainCommand } from './explain.command.js';
import { registerReviewCommand } from './review.command.js';
import { registerGovernanceCommands } from './governance.command.js';
import { registerLineageCommand } from './lineage.command.js';
import { registerAlertsCommand, registerMonitorCommand } from './monitor.command.js';
import { registerModelsCommand } from './models.command.js';
import { registerPipelineCommand } from './pipeline.command.js';
import { registerPoliciesCommand } from './policies.command.js';
import { registerProjectsCommand } from './projects.command.js';
import { registerReproducibilityCommands } from './reproducibility.command.js';
import { registerRetentionCommand } from './retention.command.js';
import { registerFeaturesCommand } from './features.command.js';
import { registerPromptsCommand } from './prompts.command.js';
import { registerRagCommand } from './rag.command.js';
import { registerTracesCommand } from './traces.command.js';
import { registerRunsCommand } from './runs.command.js';
import { registerServerCommand } from './server.command.js';
import { registerSweepCommand } from './sweep.command.js';
import { registerCostCommand } from './cost.command.js';
import { registerSyncCommand } from './sync.command.js';
import { registerValidateCommand } from './validate.command.js';


/** The whole command tree, built without parsing anything: the CLI entry point and the generated CLI reference share it. */
export function buildProgram(): Command {
  const program = new Command()
    .name('openexpert')
    .description('OpenExpert: track, validate, evaluate, gate, deploy and monitor ML models')
    .version(VERSION)
    // `--version` after a subcommand is that command's own option (e.g. `models history --version 3`).
    .enablePositionalOptions();

  registerServerCommand(program);
  registerDbCommand(program);
  registerBackupCommands(program);
  registerExperimentsCommand(program);
  registerRunsCommand(program);
  registerSyncCommand(program);
  registerRetentionCommand(program);
  registerFeaturesCommand(program);
  registerPromptsCommand(program);
  registerRagCommand(program);
  registerTracesCommand(program);
  registerArtifactsCommand(program);
  registerDeploymentsCommand(program);
  registerMonitorCommand(program);
  registerAlertsCommand(program);
  registerModelsCommand(program);
  registerModelCardCommand(program);
  registerEvaluateCommand(program);
  registerExplainCommand(program);
  registerReviewCommand(program);
  registerPoliciesCommand(program);
  registerDatasetsCommand(program);
  registerValidateCommand(program);
  registerLineageCommand(program);
  registerGovernanceCommands(program);
  registerProjectsCommand(program);
  registerReproducibilityCommands(program);
  registerPipelineCommand(program);
  registerSweepCommand(program);
  registerCostCommand(program);
  return program;
}
