import type { Actor } from '../../core/actor.js';
import { fromNumpyType, type TensorSpec } from './tensor.js';

/** Which registry version a deployment means: a version number, or whatever an alias or stage points at. */
export interface VersionSelector {
  readonly version?: string;
  readonly alias?: string;
  readonly stage?: string;
}

export interface ResolvedModelVersion {
  readonly modelName: string;
  readonly version: string;
  /** Where the model's files (MLmodel, model.onnx, …) are: an `mlflow-artifacts:` URI or a path under the artifact root. */
  readonly artifactUri: string;
  /** MLmodel flavors, e.g. `{ onnx: { model_file: 'model.onnx' } }`. */
  readonly flavors: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Tensor inputs and outputs from the MLmodel signature; a numeric column-based one is one FP64 input per column. */
  readonly signature?: { readonly inputs: readonly TensorSpec[]; readonly outputs: readonly TensorSpec[] };
  /** The column names of a column-based signature (a scoring server gets `dataframe_split` with them). */
  readonly columns?: readonly string[];
}

/**
 * What serving needs from the model registry. Deployments serve only versions that passed the
 * promotion policy of their target, and the registry is the one that knows.
 */
export interface ModelVersionResolver {
  resolve(actor: Actor, modelName: string, selector: VersionSelector): Promise<ResolvedModelVersion>;
  /** Why this version may not serve under `target` (an alias or stage); empty when it may. */
  deployBlockers(actor: Actor, modelName: string, version: string, target: string): Promise<string[]>;
}

/** Reads a model's files from the artifact store. */
export interface ModelFiles {
  read(actor: Actor, artifactUri: string, relativePath: string): Promise<Uint8Array>;
  /** Every file under the model's directory, as paths relative to it. */
  list(actor: Actor, artifactUri: string): Promise<string[]>;
}

/** Serving loads models and runs rollouts on its own, outside any request: it acts as this system user. */
export const SERVING_ACTOR: Actor = { userId: 'openexpert-serving', isAdmin: true, authenticated: true };

interface MlflowTensorSpec {
  type?: string;
  name?: string;
  'tensor-spec'?: { dtype?: string; shape?: number[] };
}

const NUMERIC_COLUMNS = new Set(['double', 'float', 'long', 'integer', 'boolean']);

/**
 * A column-based MLmodel signature whose columns are all numeric (what scikit-learn, XGBoost and
 * LightGBM models log from a DataFrame): its column names, in order.
 */
export function numericColumns(signature: unknown): string[] | undefined {
  const raw = (signature as { inputs?: unknown } | null | undefined)?.inputs;
  try {
    const list = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { type?: string; name?: string }[] | undefined;
    if (!Array.isArray(list) || list.length === 0) return undefined;
    if (!list.every((c) => typeof c.name === 'string' && typeof c.type === 'string' && NUMERIC_COLUMNS.has(c.type))) return undefined;
    return list.map((c) => c.name!);
  } catch {
    return undefined;
  }
}

/**
 * Tensor specs from an MLmodel signature (`{"inputs": "<json list>", "outputs": "<json list>"}`);
 * undefined for column-based signatures, which name DataFrame columns rather than tensors.
 */
export function tensorSignature(signature: unknown): { inputs: TensorSpec[]; outputs: TensorSpec[] } | undefined {
  const s = signature as { inputs?: unknown; outputs?: unknown } | null | undefined;
  if (!s) return undefined;
  const specs = (raw: unknown): TensorSpec[] | undefined => {
    const list = (typeof raw === 'string' ? JSON.parse(raw) : raw) as MlflowTensorSpec[] | undefined;
    if (!Array.isArray(list)) return undefined;
    const out: TensorSpec[] = [];
    for (const [i, spec] of list.entries()) {
      const dtype = spec['tensor-spec']?.dtype;
      const datatype = spec.type === 'tensor' && dtype ? fromNumpyType(dtype) : undefined;
      if (!datatype) return undefined;
      out.push({ name: spec.name ?? (i === 0 ? 'input' : `input_${i}`), datatype, shape: spec['tensor-spec']?.shape ?? [] });
    }
    return out;
  };
  try {
    const inputs = specs(s.inputs);
    if (!inputs) return undefined;
    return { inputs, outputs: specs(s.outputs) ?? [] };
  } catch {
    return undefined;
  }
}
