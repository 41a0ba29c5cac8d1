import type { ExperimentService } from '../domain/tracking/experiment.service.js';
import type { RunService } from '../domain/tracking/run.service.js';

/** Everything the API surfaces call; built once in main.ts. */
export interface Services {
  readonly experiments: ExperimentService;
  readonly runs: RunService;
}
