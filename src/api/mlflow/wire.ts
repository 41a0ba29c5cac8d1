import type { LoggedModel } from '../../domain/tracking/logged-model.js';
import type { DatasetInput, Experiment, HistoryJsonPage, KeyValue, Metric, MetricWithRun, Run, RunInfo } from '../../domain/tracking/types.js';
import { metricValueToWire } from '../wire-types.js';

/**
 * Domain objects in MLflow's JSON shape. Like MLflow's protobuf encoder, empty lists and unset fields
 * are left out rather than sent as [] or null.
 */
const list = <T>(name: string, items: readonly T[]): Record<string, readonly T[]> => (items.length > 0 ? { [name]: items } : {});

const tags = (items: readonly KeyValue[]) => items.map((t) => ({ key: t.key, value: t.value }));

export function experimentToWire(e: Experiment) {
  return {
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.lastUpdateTime,
    creation_time: e.creationTime,
    ...list('tags', tags(e.tags)),
  };
}

export function runInfoToWire(i: RunInfo) {
  return {
    run_id: i.runId,
    run_uuid: i.runId,
    run_name: i.runName,
    experiment_id: i.experimentId,
    user_id: i.userId,
    status: i.status,
    start_time: i.startTime,
    ...(i.endTime !== null ? { end_time: i.endTime } : {}),
    artifact_uri: i.artifactUri,
    lifecycle_stage: i.lifecycleStage,
  };
}

export function metricToWire(m: Metric) {
  return { key: m.key, value: metricValueToWire(m.value), timestamp: m.timestamp, step: m.step };
}

/**
 * A get-history page as JSON bytes, written straight from the points into one buffer: pages run to 25,000 points,
 * and an object per point for the serializer to walk again, or a string per point to join and encode, each cost
 * more than reading the page from the database. Numbers are written as JSON.stringify writes them.
 */
export function metricPageJson(points: readonly Metric[], nextPageToken: string | undefined): Buffer {
  const token = nextPageToken !== undefined ? `"next_page_token":${JSON.stringify(nextPageToken)}` : '';
  if (points.length === 0) return Buffer.from(`{${token}}`);
  // Every value's digits in one JSON.stringify call: it writes each number straight into its output, where
  // String(value) makes and caches a string per number at more than twice the cost. Non-finite values are
  // written below as MLflow sends them; 0 holds their place here.
  const values = new Array<number>(points.length);
  for (let i = 0; i < points.length; i++) {
    const v = points[i]!.value;
    values[i] = Number.isFinite(v) ? v : 0;
  }
  const digits = JSON.stringify(values);
  let from = 1;
  const out = new ByteWriter(points.length * 96 + token.length + 16);
  out.ascii('{"metrics":[');
  let lastKey: string | undefined;
  let keyHead: Uint8Array = EMPTY;
  for (let i = 0; i < points.length; i++) {
    const m = points[i]!;
    if (m.key !== lastKey) keyHead = Buffer.from(`{"key":${JSON.stringify((lastKey = m.key))},"value":`);
    out.reserve(keyHead.length + 96);
    if (i > 0) out.byte(COMMA);
    out.bytes(keyHead);
    const v = m.value;
    from = Number.isFinite(v) ? out.number(digits, from) : out.skipNumber(digits, from, Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"');
    out.bytes(TIMESTAMP);
    out.integer(m.timestamp);
    out.bytes(STEP);
    out.integer(m.step);
    out.byte(CLOSE_BRACE);
  }
  out.reserve(token.length + 3);
  out.ascii(']');
  if (token) out.ascii(`,${token}`);
  out.ascii('}');
  return out.done();
}

/** A get-history page from points the store wrote as JSON already (see HistoryJsonPage). */
export function pointsJsonPage(page: HistoryJsonPage, nextPageToken: string | undefined): Buffer {
  const token = nextPageToken !== undefined ? `"next_page_token":${JSON.stringify(nextPageToken)}` : '';
  if (page.count === 0) return Buffer.from(`{${token}}`);
  return Buffer.concat([METRICS_OPEN, page.pointsJson, Buffer.from(token ? `],${token}}` : ']}')]);
}

const METRICS_OPEN = Buffer.from('{"metrics":[');
const EMPTY = new Uint8Array(0);
const TIMESTAMP = Buffer.from(',"timestamp":');
const STEP = Buffer.from(',"step":');
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const MINUS = 0x2d;
const ZERO = 0x30;

/** Appends to a growing buffer; `reserve` before writing a bounded piece. */
class ByteWriter {
  private buf: Buffer;
  private at = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  reserve(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
  done(): Buffer {
    return this.buf.subarray(0, this.at);
  }
  byte(b: number): void {
    this.buf[this.at++] = b;
  }
  /** Text known to be ASCII (numbers, fixed JSON punctuation); short pieces byte by byte, which beats a call into Buffer#write. */
  ascii(s: string): void {
    this.reserve(s.length);
    if (s.length > 64) {
      this.at += this.buf.write(s, this.at, 'latin1');
      return;
    }
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < s.length; i++) buf[at++] = s.charCodeAt(i);
    this.at = at;
  }
  /** Short byte strings (a point's fixed parts) byte by byte, which beats a call into Buffer#set. */
  bytes(b: Uint8Array): void {
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < b.length; i++) buf[at++] = b[i]!;
    this.at = at;
  }
  /** Copies the number starting at `from` in a JSON array's text; returns where the next one starts. */
  number(json: string, from: number): number {
    const buf = this.buf;
    let at = this.at;
    let i = from;
    for (let c = json.charCodeAt(i); c !== COMMA && c !== CLOSE_BRACKET; c = json.charCodeAt(++i)) buf[at++] = c;
    this.at = at;
    return i + 1;
  }
  /** Writes `text` in place of the number starting at `from` in a JSON array's text; returns where the next one starts. */
  skipNumber(json: string, from: number, text: string): number {
    this.ascii(text);
    let i = from;
    while (json.charCodeAt(i) !== COMMA && json.charCodeAt(i) !== CLOSE_BRACKET) i++;
    return i + 1;
  }
  /** A safe integer in decimal, digit by digit (String() and a copy cost twice as much for 13-digit timestamps). */
  integer(n: number): void {
    if (!Number.isSafeInteger(n)) return this.ascii(String(n));
    if (n < 0) {
      this.byte(MINUS);
      n = -n;
    }
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    let i = this.at + digits;
    this.at = i;
    do {
      const q = Math.floor(n / 10);
      this.buf[--i] = ZERO + (n - q * 10);
      n = q;
    } while (n > 0);
  }
}

export function metricWithRunToWire(m: MetricWithRun) {
  return { ...metricToWire(m), run_id: m.runId };
}

function datasetInputToWire(d: DatasetInput) {
  return {
    ...list('tags', tags(d.tags)),
    dataset: {
      name: d.dataset.name,
      digest: d.dataset.digest,
      source_type: d.dataset.sourceType,
      source: d.dataset.source,
      ...(d.dataset.schema !== undefined ? { schema: d.dataset.schema } : {}),
      ...(d.dataset.profile !== undefined ? { profile: d.dataset.profile } : {}),
    },
  };
}

export function runToWire(r: Run) {
  return {
    info: runInfoToWire(r.info),
    data: {
      ...list('metrics', r.data.metrics.map(metricToWire)),
      ...list('params', tags(r.data.params)),
      ...list('tags', tags(r.data.tags)),
    },
    inputs: {
      ...list('dataset_inputs', r.inputs.map(datasetInputToWire)),
      ...list('model_inputs', r.modelInputs.map((modelId) => ({ model_id: modelId }))),
    },
    outputs: list('model_outputs', r.modelOutputs.map((o) => ({ model_id: o.modelId, step: o.step }))),
  };
}

export function loggedModelToWire(m: LoggedModel) {
  return {
    info: {
      model_id: m.modelId,
      experiment_id: m.experimentId,
      name: m.name,
      creation_timestamp_ms: m.creationTime,
      last_updated_timestamp_ms: m.lastUpdatedTime,
      artifact_uri: m.artifactLocation,
      status: m.status,
      ...(m.modelType !== undefined ? { model_type: m.modelType } : {}),
      ...(m.sourceRunId !== undefined ? { source_run_id: m.sourceRunId } : {}),
      ...(m.statusMessage !== undefined ? { status_message: m.statusMessage } : {}),
      ...list('tags', tags(m.tags)),
    },
    data: {
      ...list('params', tags(m.params)),
      ...list('metrics', m.metrics.map((x) => ({
        ...metricToWire(x),
        run_id: x.runId,
        model_id: m.modelId,
        ...(x.datasetName !== undefined ? { dataset_name: x.datasetName } : {}),
        ...(x.datasetDigest !== undefined ? { dataset_digest: x.datasetDigest } : {}),
      }))),
    },
  };
}
