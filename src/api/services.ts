import type { ArtifactService } from '../domain/artifacts/artifact.service.js';
import type { ExperimentService } from '../domain/tracking/experiment.service.js';
import type { LoggedModelService } from '../domain/tracking/logged-model.service.js';
import type { RunService } from '../domain/tracking/run.service.js';

/** Everything the API surfaces call; built once in main.ts. */
export interface Services {
  readonly experiments: ExperimentService;
  readonly runs: RunService;
  readonly artifacts: ArtifactService;
  readonly loggedModels: LoggedModelService;
}
