import type { ModelMetadata, Tensor } from './tensor.js';

/** One loaded model version, whatever runs it. */
export interface ModelRuntime {
  readonly metadata: ModelMetadata;
  /** Inputs are already checked against `metadata.inputs`; the promise rejects with ModelFailure when the model itself fails. */
  infer(inputs: readonly Tensor[]): Promise<Tensor[]>;
  close(): Promise<void>;
}

/**
 * The model (not the request) failed: onnxruntime threw, or an external server answered 5xx or not
 * at all. Counted as an error of that version in rollout analysis; distinct from bad input.
 */
export class ModelFailure extends Error {
  override readonly name = 'ModelFailure';
  constructor(
    message: string,
    /** True when the model could not be reached at all (an open circuit, a server that is down). */
    readonly unavailable = false,
  ) {
    super(message);
  }
}

export const isModelFailure = (err: unknown): err is ModelFailure => (err as { name?: unknown } | null)?.name === 'ModelFailure';
