import { get } from './client';
import type { DriftAttributions } from '../../../src/domain/monitoring/drift-attributions';
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

/** One column of a window's drift report (what the monitor page charts of it). */
export interface ColumnDrift {
  readonly name: string;
  readonly type: 'numeric' | 'categorical';
  readonly role: 'feature' | 'prediction';
  readonly drift: { readonly testName: string; readonly scoreKind: 'p_value' | 'distance'; readonly score: number | null; readonly threshold: number; readonly drifted: boolean | null };
  readonly histogram?:
    | { readonly kind: 'numeric'; readonly edges: number[]; readonly reference: number[]; readonly current: number[] }
    | { readonly kind: 'categorical'; readonly labels: string[]; readonly reference: number[]; readonly current: number[] };
}

export interface WindowDetail extends MonitorWindow {
  readonly result: { readonly figures: Record<string, number>; readonly report: { readonly columns: ColumnDrift[]; readonly predictionDrift?: ColumnDrift } } | null;
}

export interface AlertEvent {
  readonly eventId: string;
  readonly windowId: string;
  readonly state: AlertRule['state'];
  readonly value: number | null;
  readonly silenced: boolean;
  readonly at: number;
}

/** An alert rule's detail: its state changes, and for a drift rule that fired, the drifted features with their attributions. */
export interface AlertDetail extends AlertRule {
  readonly events: AlertEvent[];
  readonly drift: (DriftAttributions & { readonly windowId: string }) | null;
}

const base = (monitor: string) => `/api/v1/monitors/${encodeURIComponent(monitor)}`;

export const monitoringApi = {
  list: (signal?: AbortSignal) => get<{ items: Monitor[] }>('/api/v1/monitors', projectQuery(), signal),
  status: (monitor: string, signal?: AbortSignal) =>
    get<{ monitor: Monitor; latest: (MonitorWindow & { figures: Record<string, number> }) | null; alerts: AlertRule[] }>(`${base(monitor)}/status`, undefined, signal),
  windows: (monitor: string, signal?: AbortSignal) => get<{ items: MonitorWindow[] }>(`${base(monitor)}/windows`, { limit: 100 }, signal),
  window: (monitor: string, windowId: string, signal?: AbortSignal) =>
    get<WindowDetail>(`${base(monitor)}/windows/${encodeURIComponent(windowId)}`, undefined, signal),
  alert: (ruleId: string, signal?: AbortSignal) => get<AlertDetail>(`/api/v1/alerts/${encodeURIComponent(ruleId)}`, undefined, signal),
  alertEvents: async (ruleId: string, signal?: AbortSignal) => (await monitoringApi.alert(ruleId, signal)).events,
  reportUrl: (monitor: string, windowId: string) => `${base(monitor)}/windows/${encodeURIComponent(windowId)}/report.html`,
};
