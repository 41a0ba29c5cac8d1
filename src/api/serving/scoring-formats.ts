import { invalid } from '../../core/errors.js';
import { nest, tensorFromJson, tensorValues, type ModelMetadata, type Tensor, type TensorSpec } from '../../domain/serving/tensor.js';

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

/** DataFrame columns → tensors: one input takes all columns as a [rows, columns] matrix; several inputs take the column of their name. */
function fromColumns(columns: readonly string[], rows: readonly (readonly unknown[])[], metadata: ModelMetadata, field: string): Tensor[] {
  rows.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== columns.length) throw invalid(`Invalid value for parameter '${field}[${i}]': each row needs ${columns.length} values, one per column`);
  });
  const [only] = metadata.inputs;
  if (metadata.inputs.length === 1 && only && !columns.includes(only.name)) {
    return [tensorFromJson(only.name, only.datatype, [rows.length, columns.length], rows as unknown[], field)];
  }
  return metadata.inputs.map((spec) => {
    const c = columns.indexOf(spec.name);
    if (c < 0) throw invalid(`Invalid value for parameter 'columns': missing column '${spec.name}' (the model's inputs: ${metadata.inputs.map((s) => s.name).join(', ')})`);
    const column = rows.map((r) => r[c]);
    const shape = spec.shape.length >= 2 ? [rows.length, ...spec.shape.slice(1).map((d) => (d < 0 ? 1 : d))] : [rows.length];
    return tensorFromJson(spec.name, spec.datatype, shape, column, `${field}.${spec.name}`);
  });
}

export function tensorsFromScoringBody(body: unknown, metadata: ModelMetadata): Tensor[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('The request body must be a JSON object with one of the keys ' + FORMATS.join(', '));
  const b = body as Record<string, unknown>;
  const given = FORMATS.filter((f) => f in b);
  if (given.length !== 1) {
    throw invalid(`Invalid input. The input must contain exactly one of the keys ${FORMATS.join(', ')}; got ${given.length === 0 ? Object.keys(b).join(', ') || 'none' : given.join(', ')}`);
  }
  const format = given[0]!;
  const value = b[format];
  if (metadata.inputs.length === 0) throw invalid('This model declares no inputs (no signature), so /invocations cannot type the request; use the v2 infer endpoint');

  if (format === 'dataframe_split') {
    const split = value as { columns?: unknown; data?: unknown } | null;
    if (!split || !Array.isArray(split.columns) || !split.columns.every((c) => typeof c === 'string')) throw invalid("Invalid value for parameter 'dataframe_split.columns': a list of column names is required");
    if (!Array.isArray(split.data)) throw invalid("Invalid value for parameter 'dataframe_split.data': a list of rows is required");
    return fromColumns(split.columns as string[], split.data as unknown[][], metadata, 'dataframe_split.data');
  }
  if (format === 'dataframe_records') {
    if (!Array.isArray(value) || value.length === 0 || !value.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) {
      throw invalid("Invalid value for parameter 'dataframe_records': a non-empty list of records (objects) is required");
    }
    const records = value as Record<string, unknown>[];
    const columns = Object.keys(records[0]!);
    return fromColumns(columns, records.map((r) => columns.map((c) => r[c])), metadata, 'dataframe_records');
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

/** `{"predictions": …}`: the one output as nested lists, or an object of them by output name. */
export function scoringResponse(outputs: readonly Tensor[]): { predictions: unknown } {
  if (outputs.length === 1) return { predictions: nest(tensorValues(outputs[0]!), outputs[0]!.shape) };
  return { predictions: Object.fromEntries(outputs.map((t) => [t.name, nest(tensorValues(t), t.shape)])) };
}
