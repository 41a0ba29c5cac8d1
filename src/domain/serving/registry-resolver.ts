import type { Readable } from 'node:stream';
import type { Actor } from '../../core/actor.js';
import { invalid } from '../../core/errors.js';
import { artifactPathOf, joinArtifactPath } from '../artifacts/artifact-uri.js';
import type { ModelVersion } from '../registry/types.js';
import { STAGES } from '../registry/types.js';
import { numericColumns, tensorSignature, type ModelFiles, type ModelVersionResolver, type ResolvedModelVersion, type VersionSelector } from './model-source.js';

/** The registry reads serving needs (RegistryService has them). */
export interface ModelVersionReader {
  getModelVersion(actor: Actor, name: string, version: string | number): Promise<ModelVersion>;
  getVersionByAlias(actor: Actor, name: string, alias: string): Promise<ModelVersion>;
  getLatestVersions(actor: Actor, name: string, stages?: readonly string[]): Promise<ModelVersion[]>;
}

const isStage = (target: string) => (STAGES as readonly string[]).some((s) => s.toLowerCase() === target.toLowerCase());

function resolved(v: ModelVersion): ResolvedModelVersion {
  const flavors = (v.metadata?.flavors ?? {}) as ResolvedModelVersion['flavors'];
  const signature = tensorSignature(v.metadata?.signature);
  const columns = signature ? undefined : numericColumns(v.metadata?.signature);
  const base = { modelName: v.name, version: String(v.version), artifactUri: v.storageLocation, flavors };
  if (signature) return { ...base, signature };
  // One input per column, as a DataFrame has them (and MLServer's v2 tabular requests send them).
  if (columns) return { ...base, columns, signature: { inputs: columns.map((name) => ({ name, datatype: 'FP64', shape: [-1] })), outputs: [] } };
  return base;
}

/**
 * Serving's view of the model registry. A version may serve under a target when it holds it now: the
 * registry moved the alias or stage only after the model's promotion policy passed, so holding the
 * target is the proof that it passed.
 */
export class RegistryResolver implements ModelVersionResolver {
  constructor(private readonly registry: ModelVersionReader) {}

  async resolve(actor: Actor, modelName: string, selector: VersionSelector): Promise<ResolvedModelVersion> {
    if (selector.version !== undefined) return resolved(await this.registry.getModelVersion(actor, modelName, selector.version));
    if (selector.alias !== undefined) return resolved(await this.registry.getVersionByAlias(actor, modelName, selector.alias));
    if (selector.stage !== undefined) {
      const [v] = await this.registry.getLatestVersions(actor, modelName, [selector.stage]);
      if (!v) throw invalid(`Model '${modelName}' has no version in stage '${selector.stage}'`);
      return resolved(v);
    }
    throw invalid("Give a 'version', an 'alias' or a 'stage'");
  }

  async deployBlockers(actor: Actor, modelName: string, version: string, target: string): Promise<string[]> {
    const v = await this.registry.getModelVersion(actor, modelName, version);
    const holds = isStage(target) ? v.currentStage.toLowerCase() === target.toLowerCase() : v.aliases.includes(target);
    if (holds) return [];
    const has = `it is in stage ${v.currentStage}${v.aliases.length > 0 ? ` with aliases ${v.aliases.join(', ')}` : ' with no alias'}`;
    return [`it does not hold '${target}' (${has}); promote it through the registry first, where its promotion policy is checked`];
  }
}

/** The artifact service reads a model's binary files (model.onnx); only files under the server's own artifact root. */
export interface ArtifactDownloader {
  download(actor: Actor, path: string): Promise<{ body: Readable; size: number }>;
  list(actor: Actor, dir: string): Promise<{ path: string; isDir: boolean }[]>;
}

export class ArtifactModelFiles implements ModelFiles {
  constructor(
    private readonly artifacts: ArtifactDownloader,
    private readonly maxBytes = 2 * 1024 * 1024 * 1024,
  ) {}

  async read(actor: Actor, artifactUri: string, relativePath: string): Promise<Uint8Array> {
    const file = await this.artifacts.download(actor, joinArtifactPath(artifactPathOf(artifactUri), relativePath));
    if (file.size > this.maxBytes) {
      file.body.destroy();
      throw invalid(`'${relativePath}' is ${file.size} bytes; in-process models are limited to ${this.maxBytes} bytes`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of file.body) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }

  async list(actor: Actor, artifactUri: string): Promise<string[]> {
    const root = artifactPathOf(artifactUri);
    const files: string[] = [];
    const walk = async (relative: string): Promise<void> => {
      for (const entry of await this.artifacts.list(actor, relative ? joinArtifactPath(root, relative) : root)) {
        const child = relative ? `${relative}/${entry.path}` : entry.path;
        if (entry.isDir) await walk(child);
        else files.push(child);
      }
    };
    await walk('');
    return files;
  }
}
