import { get } from './client';
import { projectQuery } from '../lib/current-project';
import type { AlertRule } from './monitoring';

/** What the home page reads besides the tracking and registry APIs: alert rules by state, deployments. */
export interface FiringAlert extends AlertRule {
  readonly monitorId: string;
}

export interface DeploymentSummary {
  readonly name: string;
  readonly modelName: string;
  readonly target: string;
  readonly status: 'stable' | 'progressing' | 'paused';
  readonly candidateWeight: number;
  readonly stable: { readonly version: string };
  readonly rollout?: { readonly candidate: { readonly version: string } };
  readonly updatedAt: number;
}

export const homeApi = {
  alerts: (state: AlertRule['state'], signal?: AbortSignal) => get<{ items: FiringAlert[] }>('/api/v1/alerts', { state }, signal),
  deployments: (signal?: AbortSignal) => get<{ items: DeploymentSummary[] }>('/api/v1/deployments', projectQuery(), signal),
};
