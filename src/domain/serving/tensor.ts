import { invalid } from '../../core/errors.js';

/** Open Inference Protocol v2 tensor datatypes that the runtimes here can carry (FP16 has no JS array type). */
export const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP32', 'FP64', 'BYTES'] as const;
export type Datatype = (typeof DATATYPES)[number];

export type TensorData =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | string[];

export interface Tensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  /** Row-major; BOOL is a Uint8Array of 0/1. */
  readonly data: TensorData;
}

/** A declared input or output: -1 marks a dimension of any size. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

export interface ModelMetadata {
  readonly platform: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

const ORT_TYPES: Record<Datatype, string> = {
  BOOL: 'bool', UINT8: 'uint8', UINT16: 'uint16', UINT32: 'uint32', UINT64: 'uint64', INT8: 'int8', INT16: 'int16',
  INT32: 'int32', INT64: 'int64', FP32: 'float32', FP64: 'float64', BYTES: 'string',
};
const FROM_ORT = new Map(Object.entries(ORT_TYPES).map(([k, v]) => [v, k as Datatype]));
/** numpy dtype names, as MLflow tensor signatures write them. */
const FROM_NUMPY: Record<string, Datatype> = {
  ...Object.fromEntries(FROM_ORT),
  bool_: 'BOOL', float: 'FP64', double: 'FP64', str: 'BYTES', object: 'BYTES', bytes: 'BYTES', int: 'INT64', long: 'INT64',
};

export const ortType = (d: Datatype): string => ORT_TYPES[d];
export const fromOrtType = (t: string): Datatype | undefined => FROM_ORT.get(t);
export const fromNumpyType = (t: string): Datatype | undefined => FROM_NUMPY[t];

export function allocate(datatype: Datatype, length: number): TensorData {
  switch (datatype) {
    case 'FP32': return new Float32Array(length);
    case 'FP64': return new Float64Array(length);
    case 'INT8': return new Int8Array(length);
    case 'UINT8': case 'BOOL': return new Uint8Array(length);
    case 'INT16': return new Int16Array(length);
    case 'UINT16': return new Uint16Array(length);
    case 'INT32': return new Int32Array(length);
    case 'UINT32': return new Uint32Array(length);
    case 'INT64': return new BigInt64Array(length);
    case 'UINT64': return new BigUint64Array(length);
    case 'BYTES': return new Array<string>(length).fill('');
  }
}

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

const INT_RANGE: Partial<Record<Datatype, readonly [number, number]>> = {
  INT8: [-128, 127], UINT8: [0, 255], INT16: [-32768, 32767], UINT16: [0, 65535],
  INT32: [-2147483648, 2147483647], UINT32: [0, 4294967295],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], UINT64: [0, Number.MAX_SAFE_INTEGER],
};

/** The largest finite float32, (2 − 2⁻²³)·2¹²⁷. */
const FP32_MAX = 3.4028234663852886e38;

/** Flattens nested JSON arrays row-major; the protocol allows both flat and nested `data`. */
function flatten(data: readonly unknown[]): unknown[] {
  if (!data.some(Array.isArray)) return data as unknown[];
  const out: unknown[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else out.push(v);
  };
  walk(data);
  return out;
}

/**
 * Builds a typed tensor from JSON, checking every element: the first wrong one becomes
 * INVALID_PARAMETER_VALUE naming `field` and the element's index.
 */
export function tensorFromJson(name: string, datatype: Datatype, shape: readonly number[], data: readonly unknown[], field: string): Tensor {
  for (const [i, d] of shape.entries()) {
    if (!Number.isInteger(d) || d < 0) throw invalid(`Invalid value for parameter '${field}.shape[${i}]': dimensions are non-negative integers, got ${String(d)}`);
  }
  const flat = flatten(data);
  const expected = elementCount(shape);
  if (flat.length !== expected) {
    throw invalid(`Invalid value for parameter '${field}.data': shape [${shape.join(', ')}] needs ${expected} elements, got ${flat.length}`);
  }
  const out = allocate(datatype, expected);
  const bad = (i: number, what: string) => invalid(`Invalid value for parameter '${field}.data[${i}]': expected ${what} for ${datatype}, got ${JSON.stringify(flat[i]) ?? 'undefined'}`);
  if (datatype === 'BYTES') {
    const strings = out as string[];
    for (let i = 0; i < expected; i++) {
      const v = flat[i];
      if (typeof v !== 'string') throw bad(i, 'a string');
      strings[i] = v;
    }
  } else if (datatype === 'BOOL') {
    const bools = out as Uint8Array;
    for (let i = 0; i < expected; i++) {
      const v = flat[i];
      if (typeof v !== 'boolean') throw bad(i, 'true or false');
      bools[i] = v ? 1 : 0;
    }
  } else if (datatype === 'FP32' || datatype === 'FP64') {
    const floats = out as Float32Array | Float64Array;
    // Beyond the type's largest finite value a number would be stored as ±Infinity (JSON has no Infinity).
    const max = datatype === 'FP32' ? FP32_MAX : Number.MAX_VALUE;
    for (let i = 0; i < expected; i++) {
      const v = flat[i];
      if (typeof v !== 'number') throw bad(i, 'a number');
      if (!Number.isFinite(v) || (datatype === 'FP32' && !Number.isFinite(Math.fround(v)))) throw bad(i, `a number within ±${max}`);
      floats[i] = v;
    }
  } else {
    const [lo, hi] = INT_RANGE[datatype]!;
    const big = datatype === 'INT64' || datatype === 'UINT64';
    for (let i = 0; i < expected; i++) {
      const v = flat[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw bad(i, `an integer in [${lo}, ${hi}]`);
      if (big) (out as BigInt64Array | BigUint64Array)[i] = BigInt(v);
      else (out as Int32Array)[i] = v;
    }
  }
  return { name, datatype, shape: [...shape], data: out };
}

/** Row-major JSON values: 64-bit integers as numbers (exact up to 2^53), BOOL as booleans. */
export function tensorValues(t: Tensor): (number | boolean | string)[] {
  const d = t.data;
  if (Array.isArray(d)) return d;
  if (t.datatype === 'BOOL') return Array.from(d as Uint8Array, (v) => v !== 0);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Array.from(d, Number);
  return Array.from(d as Float32Array);
}

/** Nests row-major values into arrays of the tensor's shape, as MLflow's scoring server returns them. */
export function nest(values: readonly unknown[], shape: readonly number[]): unknown {
  if (shape.length === 0) return values[0];
  if (shape.length === 1) return values.slice();
  const inner = elementCount(shape.slice(1));
  const out: unknown[] = [];
  for (let i = 0; i < shape[0]!; i++) out.push(nest(values.slice(i * inner, (i + 1) * inner), shape.slice(1)));
  return out;
}

/** Checks request tensors against the model's declared inputs: names, datatypes and fixed dimensions. */
export function checkInputs(declared: readonly TensorSpec[], tensors: readonly Tensor[], field: (index: number) => string): void {
  const byName = new Map(declared.map((s) => [s.name, s]));
  const seen = new Set<string>();
  tensors.forEach((t, i) => {
    const spec = byName.get(t.name);
    if (!spec) {
      throw invalid(`Invalid value for parameter '${field(i)}.name': the model has no input '${t.name}' (inputs: ${declared.map((s) => s.name).join(', ')})`);
    }
    if (seen.has(t.name)) throw invalid(`Invalid value for parameter '${field(i)}.name': input '${t.name}' is given twice`);
    seen.add(t.name);
    if (t.datatype !== spec.datatype) {
      throw invalid(`Invalid value for parameter '${field(i)}.datatype': input '${t.name}' is ${spec.datatype}, got ${t.datatype}`);
    }
    const fits = t.shape.length === spec.shape.length && spec.shape.every((d, k) => d < 0 || d === t.shape[k]);
    if (!fits) {
      const want = spec.shape.map((d) => (d < 0 ? '-1' : String(d))).join(', ');
      throw invalid(`Invalid value for parameter '${field(i)}.shape': input '${t.name}' has shape [${want}], got [${t.shape.join(', ')}]`);
    }
  });
  const missing = declared.filter((s) => !seen.has(s.name));
  if (missing.length > 0) throw invalid(`Invalid value for parameter 'inputs': missing input ${missing.map((s) => `'${s.name}'`).join(', ')}`);
}

/** DataFrame columns → tensors: one input takes all columns as a [rows, columns] matrix; several inputs take the column of their name. */
export function tensorsFromColumns(columns: readonly string[], rows: readonly (readonly unknown[])[], metadata: ModelMetadata, field: string): Tensor[] {
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
