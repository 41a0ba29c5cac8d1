import { invalid } from '../../core/errors.js';
import { ExternalRuntime } from './external-runtime.js';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SERVING_ACTOR, type ModelFiles, type ModelVersionResolver, type ResolvedModelVersion } from './model-source.js';
import { DEFAULT_PYTHON_COMMAND, PythonRuntime } from './python-runtime.js';
import type { ModelRuntime } from './model-runtime.js';
import { OnnxRuntime } from './onnx-runtime.js';
import type { Deployment, ServedVersion } from './types.js';

/** The model's files in a directory of their own (fresh each load), then its scoring process on them; closing it removes the directory. */
async function startPythonModel(
  resolved: ResolvedModelVersion, files: ModelFiles, python: PythonSettings,
  o: { slug: string; command: string; describe: string; onRestart?: (reason: string) => void },
): Promise<ModelRuntime> {
  const modelDir = path.join(python.workDir, 'models', `${o.slug}-${randomBytes(4).toString('hex')}`);
  for (const file of await files.list(SERVING_ACTOR, resolved.artifactUri)) {
    const target = path.join(modelDir, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, await files.read(SERVING_ACTOR, resolved.artifactUri, file));
  }
  const runtime = await PythonRuntime.start({
    command: o.command, modelDir, logFile: path.join(python.workDir, 'logs', `${o.slug}.log`),
    metadata: { platform: 'python-scoring-process', inputs: resolved.signature?.inputs ?? [], outputs: resolved.signature?.outputs ?? [] },
    describe: `${o.describe} (flavors: ${Object.keys(resolved.flavors).join(', ') || 'none'})`,
    ...(resolved.columns ? { columns: resolved.columns } : {}),
    ...(python.startTimeoutMs ? { startTimeoutMs: python.startTimeoutMs } : {}),
    ...(o.onRestart ? { onRestart: o.onRestart } : {}),
  }).catch(async (err: unknown) => {
    await rm(modelDir, { recursive: true, force: true });
    throw err;
  });
  const close = runtime.close.bind(runtime);
  runtime.close = async () => {
    await close();
    await rm(modelDir, { recursive: true, force: true });
  };
  return runtime;
}

/** The file name of a version's ONNX model, or undefined when it has no onnx flavor. */
export function onnxModelFile(resolved: ResolvedModelVersion): string | undefined {
  const onnx = resolved.flavors.onnx;
  if (!onnx) return undefined;
  return typeof onnx.model_file === 'string' ? onnx.model_file : 'model.onnx';
}

/**
 * One model version loaded outside any deployment (explanations, batch work), run the way a deployment
 * would run it by default: ONNX in its supervised onnxruntime process when the version has an onnx
 * flavor, its Python scoring process otherwise. The caller closes it.
 */
export async function openModelVersion(resolved: ResolvedModelVersion, files: ModelFiles, python: PythonSettings, slug: string): Promise<ModelRuntime> {
  const file = onnxModelFile(resolved);
  if (!file) return startPythonModel(resolved, files, python, { slug, command: python.command, describe: `Model '${resolved.modelName}' version ${resolved.version}` });
  return OnnxRuntime.load(await files.read(SERVING_ACTOR, resolved.artifactUri, file), { maxBatchSize: 1, maxWaitMs: 0, workers: 1 });
}

/** How Python scoring processes are run on this server. */
export interface PythonSettings {
  /** The default scoring command (see DEFAULT_PYTHON_COMMAND); a deployment's runtime may give its own. */
  readonly command: string;
  /** Model directories and scoring-process logs go under here. */
  readonly workDir: string;
  readonly startTimeoutMs?: number;
}

interface Entry {
  readonly runtime: Promise<ModelRuntime>;
  /** Operations (a deploy, a rollout) holding this runtime until what they started is saved. */
  leases: number;
  /** The pool's generation when it was last created or released: clean-up passes older than that keep it. */
  touched: number;
}

/**
 * The model versions this process has loaded, one runtime per (deployment, version, runtime and
 * batching settings). Loading happens once, on first use or when a rollout starts; a runtime no
 * deployment refers to any more is closed by `retain` — unless an operation holds it (it is being
 * warmed for a deployment that is not saved yet) or it was taken after the clean-up read the list.
 */
export class RuntimePool {
  private readonly loaded = new Map<string, Entry>();
  private generation = 0;
  onLoaded: ((deployment: string, version: string, runtime: ModelRuntime) => void) | undefined;
  /** A model's process died and is being restarted. */
  onRestart: ((deployment: string, version: string, reason: string) => void) | undefined;

  constructor(
    private readonly resolver: ModelVersionResolver,
    private readonly files: ModelFiles,
    private readonly python: PythonSettings = { command: DEFAULT_PYTHON_COMMAND, workDir: path.join(os.tmpdir(), 'openexpert-serving') },
  ) {}

  private startPython(d: Deployment, v: ServedVersion, resolved: ResolvedModelVersion, command: string): Promise<ModelRuntime> {
    return startPythonModel(resolved, this.files, this.python, {
      slug: `${d.name}-v${v.version}`, command, describe: `Model '${d.modelName}' version ${v.version}`,
      onRestart: (reason) => this.onRestart?.(d.name, v.version, reason),
    });
  }

  static key(d: Deployment, v: ServedVersion): string {
    // The request timeout is applied around the runtime, so changing it does not reload the model.
    const { maxBatchSize, maxWaitMs, workers } = d.batching;
    return JSON.stringify([d.name, d.modelName, v.version, v.runtime, { maxBatchSize, maxWaitMs, workers }]);
  }

  private entry(d: Deployment, v: ServedVersion): Entry {
    const key = RuntimePool.key(d, v);
    let entry = this.loaded.get(key);
    if (!entry) {
      const runtime = this.load(d, v).then((r) => {
        this.onLoaded?.(d.name, v.version, r);
        return r;
      });
      entry = { runtime, leases: 0, touched: ++this.generation };
      const created = entry;
      this.loaded.set(key, created);
      // A failed load is not cached: the next request (or replica refresh) tries again.
      runtime.catch(() => {
        if (this.loaded.get(key) === created) this.loaded.delete(key);
      });
    }
    return entry;
  }

  get(d: Deployment, v: ServedVersion): Promise<ModelRuntime> {
    return this.entry(d, v).runtime;
  }

  /**
   * The runtime, held for the caller until `release`: no clean-up closes it meanwhile, so a deploy or
   * rollout can warm it and save itself without a concurrent pass unloading what it is about to serve.
   */
  async acquire(d: Deployment, v: ServedVersion): Promise<{ runtime: ModelRuntime; release(): void }> {
    const entry = this.entry(d, v);
    entry.leases++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      entry.leases--;
      entry.touched = ++this.generation;
    };
    try {
      return { runtime: await entry.runtime, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Marks the start of a clean-up pass: call it before reading which deployments exist. */
  mark(): number {
    return ++this.generation;
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
    if (v.runtime.kind === 'python') return this.startPython(d, v, resolved, v.runtime.command ?? this.python.command);
    const file = onnxModelFile(resolved);
    if (!file) {
      throw invalid(`Model '${d.modelName}' version ${v.version} has no onnx flavor (flavors: ${Object.keys(resolved.flavors).join(', ') || 'none'}); serve it through an external runtime`);
    }
    const bytes = await this.files.read(SERVING_ACTOR, resolved.artifactUri, file);
    return OnnxRuntime.load(bytes, d.batching, { onRestart: (reason) => this.onRestart?.(d.name, v.version, reason) });
  }

  /**
   * Closes every runtime whose key is not in `keep`, except those held or touched since `since`
   * (the `mark()` taken before `keep` was read: anything newer may be missing from it).
   */
  async retain(keep: ReadonlySet<string>, since = Infinity): Promise<void> {
    const dropped = [...this.loaded].filter(([key, e]) => !keep.has(key) && e.leases === 0 && e.touched <= since);
    for (const [key] of dropped) this.loaded.delete(key);
    await Promise.all(dropped.map(([, e]) => e.runtime.then((x) => x.close(), () => undefined)));
  }

  async close(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.all(all.map((e) => e.runtime.then((x) => x.close(), () => undefined)));
  }
}
