import type { Readable } from 'node:stream';
import type { ArtifactBody, ArtifactEntry, ArtifactStore, ByteRange, StoredFile, UploadedPart } from '../../artifacts/artifact-store.js';
import { safeArtifactPath } from '../../artifacts/safe-path.js';
import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, isDomainError, notFound } from '../../core/errors.js';
import type { Access, Permission, Resource } from '../access/access.js';
import type { ArtifactFilesStore } from './artifact-files.store.js';
import { artifactPathOf, experimentOfPath, joinArtifactPath } from './artifact-uri.js';

/** Small files read by the server itself (MLmodel, requirements); anything larger is not metadata. */
const MAX_TEXT_BYTES = 10 * 1024 * 1024;

/**
 * Artifacts as the MLflow proxy serves them: paths under the root, checked against the owning
 * experiment, each stored file's size and sha256 recorded.
 */
export class ArtifactService {
  constructor(
    private readonly store: ArtifactStore,
    private readonly files: ArtifactFilesStore,
    private readonly access: Access,
    private readonly clock: Clock,
  ) {}

  private async check(actor: Actor, permission: Permission, rawPath: string): Promise<string> {
    const path = rawPath === '' ? '' : safeArtifactPath(rawPath);
    const experiment = experimentOfPath(path);
    const resource: Resource = experiment ? { kind: 'experiment', id: experiment, asMissing: () => notFound(`Artifact '${path}'`) } : { kind: 'server' };
    await this.access.require(actor, permission, resource);
    return path;
  }

  private async remember(stored: StoredFile): Promise<StoredFile> {
    await this.files.record({ path: stored.path, size: stored.size, sha256: stored.sha256, updatedAt: this.clock.now() });
    return stored;
  }

  async upload(actor: Actor, path: string, body: ArtifactBody, contentLength?: number): Promise<StoredFile> {
    const safe = await this.check(actor, 'EDIT', path);
    if (safe === '') throw invalid('An artifact path is required');
    return this.remember(await this.store.put(safe, body, contentLength === undefined ? {} : { contentLength }));
  }

  async download(actor: Actor, path: string, range?: ByteRange): Promise<{ body: Readable; size: number; sha256?: string }> {
    const safe = await this.check(actor, 'READ', path);
    const file = await this.store.get(safe, range);
    const record = await this.files.get(safe);
    return record ? { ...file, sha256: record.sha256 } : file;
  }

  async list(actor: Actor, dir: string): Promise<ArtifactEntry[]> {
    return this.store.list(await this.check(actor, 'READ', dir));
  }

  async delete(actor: Actor, path: string): Promise<void> {
    const safe = await this.check(actor, 'EDIT', path);
    await this.store.delete(safe);
    await this.files.forget(safe);
  }

  async createMultipartUpload(actor: Actor, path: string): Promise<string> {
    const safe = await this.check(actor, 'EDIT', path);
    return (await this.store.createMultipartUpload(safe)).uploadId;
  }

  async uploadPart(actor: Actor, path: string, uploadId: string, partNumber: number, body: ArtifactBody, contentLength: number): Promise<UploadedPart> {
    const safe = await this.check(actor, 'EDIT', path);
    return this.store.uploadPart(safe, uploadId, partNumber, body, { contentLength });
  }

  async completeMultipartUpload(actor: Actor, path: string, uploadId: string, parts: UploadedPart[]): Promise<StoredFile> {
    const safe = await this.check(actor, 'EDIT', path);
    return this.remember(await this.store.completeMultipartUpload(safe, uploadId, parts));
  }

  async abortMultipartUpload(actor: Actor, path: string, uploadId: string): Promise<void> {
    await this.store.abortMultipartUpload(await this.check(actor, 'EDIT', path), uploadId);
  }

  /** A small text file under an artifact URI, e.g. a model's `MLmodel`; undefined when absent. */
  async readText(actor: Actor, artifactUri: string, relativePath: string): Promise<string | undefined> {
    const safe = await this.check(actor, 'READ', joinArtifactPath(artifactPathOf(artifactUri), relativePath));
    let file: { body: Readable; size: number };
    try {
      file = await this.store.get(safe);
    } catch (err) {
      if (isDomainError(err) && (err.code === 'RESOURCE_DOES_NOT_EXIST' || err.code === 'INVALID_PARAMETER_VALUE')) return undefined;
      throw err;
    }
    if (file.size > MAX_TEXT_BYTES) {
      file.body.destroy();
      throw invalid(`'${safe}' is ${file.size} bytes; only files up to ${MAX_TEXT_BYTES} bytes are read as metadata`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of file.body) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks).toString('utf8');
  }
}
