import { invalid } from '../../core/errors.js';
import { entityColumns } from '../../domain/serving/feature-fetch.js';
import { nest, tensorFromJson, tensorsFromColumns, tensorValues, type ModelMetadata, type Tensor, type TensorSpec } from '../../domain/serving/tensor.js';

/**
 * MLflow's scoring-server request formats (`/invocations`) turned into the model's input tensors:
 * `dataframe_split`, `dataframe_records`, `instances` and `inputs`. JSON values take the datatype
 * the model declares for the input they feed.
 */
const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  let level = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

function tensorFor(spec: TensorSpec, value: unknown, field: string): Tensor {
  const values = Array.isArray(value) ? value : [value];
  let shape = Array.isArray(value) ? shapeOf(value) : [1];
  // A 1-D list fed to a [-1, 1] input means one value per row.
  if (shape.length === 1 && spec.shape.length === 2 && spec.shape[1] === 1) shape = [shape[0]!, 1];
  return tensorFromJson(spec.name, spec.datatype, shape, values, field);
}

export function tensorsFromScoringBody(body: unknown, metadata: ModelMetadata): Tensor[] {
  const format = scoringFormat(body);
  const value = (body as Record<string, unknown>)[format];
  if (metadata.inputs.length === 0) throw invalid('This model declares no inputs (no signature), so /invocations cannot type the request; use the v2 infer endpoint');

  if (format === 'dataframe_split') {
    const split = value as { columns?: unknown; data?: unknown } | null;
    if (!split || !Array.isArray(split.columns) || !split.columns.every((c) => typeof c === 'string')) throw invalid("Invalid value for parameter 'dataframe_split.columns': a list of column names is required");
    if (!Array.isArray(split.data)) throw invalid("Invalid value for parameter 'dataframe_split.data': a list of rows is required");
    return tensorsFromColumns(split.columns as string[], split.data as unknown[][], metadata, 'dataframe_split.data');
  }
  if (format === 'dataframe_records') {
    if (!Array.isArray(value) || value.length === 0 || !value.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) {
      throw invalid("Invalid value for parameter 'dataframe_records': a non-empty list of records (objects) is required");
    }
    const records = value as Record<string, unknown>[];
    const columns = Object.keys(records[0]!);
    return tensorsFromColumns(columns, records.map((r) => columns.map((c) => r[c])), metadata, 'dataframe_records');
  }
  // instances / inputs: a tensor for a one-input model, or an object of tensors by input name.
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const named = value as Record<string, unknown>;
    for (const key of Object.keys(named)) {
      if (!metadata.inputs.some((s) => s.name === key)) throw invalid(`Invalid value for parameter '${format}.${key}': the model has no input '${key}'`);
    }
    return metadata.inputs.map((spec) => {
      if (!(spec.name in named)) throw invalid(`Invalid value for parameter '${format}': missing input '${spec.name}'`);
      return tensorFor(spec, named[spec.name], `${format}.${spec.name}`);
    });
  }
  if (metadata.inputs.length !== 1) throw invalid(`Invalid value for parameter '${format}': the model has ${metadata.inputs.length} inputs; give an object keyed by input name`);
  return [tensorFor(metadata.inputs[0]!, value, format)];
}

/**
 * The join key columns of a request to a deployment that fetches its own features, in any of the scoring formats:
 * `dataframe_split` and `dataframe_records` by column, `instances`/`inputs` as records, as an object of columns, or
 * (one join key) as a list of its values.
 */
export function entitiesFromScoringBody(body: unknown, keys: readonly string[]): Record<string, readonly unknown[]> {
  const format = scoringFormat(body);
  const value = (body as Record<string, unknown>)[format];
  const fromRecords = (records: unknown[], field: string) => {
    if (records.length === 0 || !records.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) {
      throw invalid(`Invalid value for parameter '${field}': a non-empty list of records (objects) is required`);
    }
    const names = [...new Set(records.flatMap((r) => Object.keys(r as object)))];
    return entityColumns(Object.fromEntries(names.map((n) => [n, records.map((r) => (r as Record<string, unknown>)[n])])), keys, field);
  };
  if (format === 'dataframe_split') {
    const split = value as { columns?: unknown; data?: unknown } | null;
    if (!split || !Array.isArray(split.columns) || !split.columns.every((c) => typeof c === 'string')) throw invalid("Invalid value for parameter 'dataframe_split.columns': a list of column names is required");
    if (!Array.isArray(split.data) || !split.data.every((r) => Array.isArray(r) && r.length === (split.columns as unknown[]).length)) {
      throw invalid("Invalid value for parameter 'dataframe_split.data': a list of rows, one value per column, is required");
    }
    const columns = split.columns as string[];
    const rows = split.data as unknown[][];
    return entityColumns(Object.fromEntries(columns.map((c, i) => [c, rows.map((r) => r[i])])), keys, 'dataframe_split');
  }
  if (format === 'dataframe_records') return fromRecords(Array.isArray(value) ? value : [], format);
  if (Array.isArray(value)) {
    if (value.some((v) => typeof v === 'object' && v !== null)) return fromRecords(value, format);
    if (keys.length !== 1) throw invalid(`Invalid value for parameter '${format}': this deployment takes the join keys ${keys.join(', ')}; give records or an object of columns`);
    return entityColumns({ [keys[0]!]: value }, keys, format);
  }
  if (typeof value === 'object' && value !== null) {
    const named = value as Record<string, unknown>;
    return entityColumns(Object.fromEntries(Object.entries(named).map(([k, v]) => [k, Array.isArray(v) ? v.flat(Infinity) : [v]])), keys, format);
  }
  throw invalid(`Invalid value for parameter '${format}': give the join key(s) ${keys.join(', ')}`);
}

/** The one scoring format a body uses. */
function scoringFormat(body: unknown): (typeof FORMATS)[number] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('The request body must be a JSON object with one of the keys ' + FORMATS.join(', '));
  const b = body as Record<string, unknown>;
  const given = FORMATS.filter((f) => f in b);
  if (given.length !== 1) {
    throw invalid(`Invalid input. The input must contain exactly one of the keys ${FORMATS.join(', ')}; got ${given.length === 0 ? Object.keys(b).join(', ') || 'none' : given.join(', ')}`);
  }
  return given[0]!;
}

/** `{"predictions": …}`: the one output as nested lists, or an object of them by output name. */
export function scoringResponse(outputs: readonly Tensor[]): { predictions: unknown } {
  if (outputs.length === 1) return { predictions: nest(tensorValues(outputs[0]!), outputs[0]!.shape) };
  return { predictions: Object.fromEntries(outputs.map((t) => [t.name, nest(tensorValues(t), t.shape)])) };
}
