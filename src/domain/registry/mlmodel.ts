import { parse } from 'yaml';
import type { ModelMetadata } from './types.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The parts of an MLmodel file the registry keeps on a version. MLflow writes the signature's inputs,
 * outputs and params as JSON strings inside the YAML; they stay strings so clients read them as MLflow's
 * own `ModelSignature.from_dict` does. A file that is not a YAML mapping yields undefined: registering a
 * version never fails because its MLmodel cannot be read.
 */
export function parseMlModel(yamlText: string): ModelMetadata | undefined {
  let doc: unknown;
  try {
    doc = parse(yamlText);
  } catch {
    return undefined;
  }
  if (!isRecord(doc)) return undefined;
  const signature = isRecord(doc.signature)
    ? {
        ...(text(doc.signature.inputs) ? { inputs: text(doc.signature.inputs) } : {}),
        ...(text(doc.signature.outputs) ? { outputs: text(doc.signature.outputs) } : {}),
        ...(text(doc.signature.params) ? { params: text(doc.signature.params) } : {}),
      }
    : undefined;
  return {
    ...(isRecord(doc.flavors) ? { flavors: doc.flavors } : {}),
    ...(signature ? { signature } : {}),
    ...(text(doc.model_uuid) ? { modelUuid: text(doc.model_uuid) } : {}),
    ...(text(doc.run_id) ? { runId: text(doc.run_id) } : {}),
    ...(isRecord(doc.saved_input_example_info) ? { savedInputExampleInfo: doc.saved_input_example_info } : {}),
  };
}
