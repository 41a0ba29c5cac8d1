import { invalid } from '../../core/errors.js';
import { ExternalRuntime } from './external-runtime.js';
import { SERVING_ACTOR, type ModelFiles, type ModelVersionResolver } from './model-source.js';
import type { ModelRuntime } from './model-runtime.js';
import { OnnxRuntime } from './onnx-runtime.js';
import type { Deployment, ServedVersion } from './types.js';

/**
 * The model versions this process has loaded, one runtime per (deployment, version, runtime and
 * batching settings). Loading happens once, on first use or when a rollout starts; a runtime no
 * deployment refers to any more is closed by `retain`.
 */
export class RuntimePool {
  private readonly loaded = new Map<string, Promise<ModelRuntime>>();
  onLoaded: ((deployment: string, version: string, runtime: ModelRuntime) => void) | undefined;

  constructor(
    private readonly resolver: ModelVersionResolver,
    private readonly files: ModelFiles,
  ) {}

  static key(d: Deployment, v: ServedVersion): string {
    return JSON.stringify([d.name, d.modelName, v.version, v.runtime, d.batching]);
  }

  get(d: Deployment, v: ServedVersion): Promise<ModelRuntime> {
    const key = RuntimePool.key(d, v);
    let runtime = this.loaded.get(key);
    if (!runtime) {
      runtime = this.load(d, v).then((r) => {
        this.onLoaded?.(d.name, v.version, r);
        return r;
      });
      this.loaded.set(key, runtime);
      // A failed load is not cached: the next request (or replica refresh) tries again.
      runtime.catch(() => this.loaded.delete(key));
    }
    return runtime;
  }

  private async load(d: Deployment, v: ServedVersion): Promise<ModelRuntime> {
    const resolved = await this.resolver.resolve(SERVING_ACTOR, d.modelName, { version: v.version });
    if (v.runtime.kind === 'external') {
      return new ExternalRuntime({
        url: v.runtime.url,
        protocol: v.runtime.protocol,
        remoteModel: v.runtime.remoteModel ?? d.modelName,
        metadata: { platform: `external-${v.runtime.protocol}`, inputs: resolved.signature?.inputs ?? [], outputs: resolved.signature?.outputs ?? [] },
      });
    }
    const onnx = resolved.flavors.onnx;
    if (!onnx) {
      throw invalid(`Model '${d.modelName}' version ${v.version} has no onnx flavor (flavors: ${Object.keys(resolved.flavors).join(', ') || 'none'}); serve it through an external runtime`);
    }
    const file = typeof onnx.model_file === 'string' ? onnx.model_file : 'model.onnx';
    const bytes = await this.files.read(SERVING_ACTOR, resolved.artifactUri, file);
    return OnnxRuntime.load(bytes, d.batching);
  }

  /** Closes every runtime whose key is not in `keep`. */
  async retain(keep: ReadonlySet<string>): Promise<void> {
    const dropped = [...this.loaded].filter(([key]) => !keep.has(key));
    for (const [key] of dropped) this.loaded.delete(key);
    await Promise.all(dropped.map(([, r]) => r.then((x) => x.close(), () => undefined)));
  }

  async close(): Promise<void> {
    await this.retain(new Set());
  }
}
