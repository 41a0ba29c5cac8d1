import { get } from './client';
import { projectQuery } from '../lib/current-project';

/** Shapes of the monitoring native API (src/api/v1/monitoring.routes.ts). */
export interface Monitor {
  readonly monitorId: string;
  readonly name: string;
  readonly modelName: string | null;
  readonly modelVersion: string | null;
  readonly window: string;
  readonly referenceRows: number;
  readonly createdBy: string;
  readonly createdAt: number;
}

export interface MonitorWindow {
  readonly windowId: string;
  readonly start: number;
  readonly end: number;
  readonly status: 'open' | 'closed';
  readonly rows: number;
  readonly datasetDriftShare: number | null;
  readonly datasetDrift: boolean | null;
  readonly closedAt: number | null;
}

export interface AlertRule {
  readonly ruleId: string;
  readonly name: string;
  readonly figure: string;
  readonly op: string;
  readonly threshold: number;
  readonly state: 'inactive' | 'pending' | 'firing' | 'resolved';
  readonly lastValue: number | null;
  readonly stateSince: number;
}

const base = (monitor: string) => `/api/v1/monitors/${encodeURIComponent(monitor)}`;

export const monitoringApi = {
  list: (signal?: AbortSignal) => get<{ items: Monitor[] }>('/api/v1/monitors', projectQuery(), signal),
  status: (monitor: string, signal?: AbortSignal) =>
    get<{ monitor: Monitor; latest: (MonitorWindow & { figures: Record<string, number> }) | null; alerts: AlertRule[] }>(`${base(monitor)}/status`, undefined, signal),
  windows: (monitor: string, signal?: AbortSignal) => get<{ items: MonitorWindow[] }>(`${base(monitor)}/windows`, { limit: 100 }, signal),
  window: (monitor: string, windowId: string, signal?: AbortSignal) =>
    get<MonitorWindow & { result: { figures: Record<string, number> } | null }>(`${base(monitor)}/windows/${encodeURIComponent(windowId)}`, undefined, signal),
  reportUrl: (monitor: string, windowId: string) => `${base(monitor)}/windows/${encodeURIComponent(windowId)}/report.html`,
};
