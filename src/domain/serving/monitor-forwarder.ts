import type { Actor } from '../../core/actor.js';
import type { ColumnarBatch, Monitor } from '../monitoring/types.js';
import type { PredictionRecord } from './types.js';

/** The monitoring service's part that logged predictions go to. */
export interface MonitorIngest {
  list(actor: Actor): Promise<Monitor[]>;
  ingest(actor: Actor, input: { monitor: string; batch: ColumnarBatch; timestamp?: number }): Promise<unknown>;
}

interface LoggedTensor {
  shape: number[];
  data: unknown[];
}

/**
 * Logged predictions as the rows a monitor reads: one row per tensor row. A single [n, k] input
 * spreads over the monitor's k feature columns in order; several inputs become a column each, by
 * name. The prediction column takes the first output's first value per row; the id column takes the
 * prediction id (with `/row` appended for requests of several rows), so labels that arrive later join.
 */
export function monitorRows(records: readonly PredictionRecord[], monitor: Monitor): ColumnarBatch | undefined {
  const featureNames = (monitor.config.features ?? []).map((f) => f.name);
  const columns: Record<string, unknown[]> = {};
  const push = (name: string, value: unknown) => (columns[name] ??= []).push(value);
  for (const r of records) {
    const inputs = Object.entries(r.inputs as Record<string, LoggedTensor>);
    const [, firstOutput] = Object.entries(r.outputs as Record<string, LoggedTensor>)[0] ?? [];
    const rows = inputs[0]?.[1].shape[0] ?? 0;
    for (let i = 0; i < rows; i++) {
      if (inputs.length === 1) {
        const [name, t] = inputs[0]!;
        const width = t.data.length / rows;
        const names = featureNames.length === width ? featureNames : width === 1 ? [name] : Array.from({ length: width }, (_, k) => `${name}_${k}`);
        names.forEach((n, k) => push(n, t.data[i * width + k]));
      } else {
        for (const [name, t] of inputs) push(name, t.data[i * (t.data.length / rows)]);
      }
      if (monitor.config.predictionColumn && firstOutput) push(monitor.config.predictionColumn, firstOutput.data[i * (firstOutput.data.length / rows)]);
      if (monitor.config.idColumn) push(monitor.config.idColumn, rows === 1 ? r.predictionId : `${r.predictionId}/${i}`);
    }
  }
  return Object.keys(columns).length > 0 ? columns : undefined;
}

/** Sends logged predictions to every monitor watching their model version (or the model, when the monitor names no version). */
export function forwardToMonitors(monitoring: MonitorIngest, actor: Actor): (records: readonly PredictionRecord[]) => Promise<void> {
  return async (records) => {
    const monitors = (await monitoring.list(actor)).filter((m) => m.modelName !== null && m.referenceRows > 0);
    const groups = new Map<string, PredictionRecord[]>();
    for (const r of records) groups.set(`${r.modelName}\u0000${r.version}`, [...(groups.get(`${r.modelName}\u0000${r.version}`) ?? []), r]);
    for (const group of groups.values()) {
      const { modelName, version, time } = group[0]!;
      for (const m of monitors.filter((x) => x.modelName === modelName && (x.modelVersion === null || x.modelVersion === version))) {
        const batch = monitorRows(group, m);
        if (batch) await monitoring.ingest(actor, { monitor: m.monitorId, batch, timestamp: time });
      }
    }
  };
}
