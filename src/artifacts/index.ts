export type { ArtifactBody, ArtifactEntry, ArtifactStore, ByteRange, StoredFile, UploadedPart } from './artifact-store.js';
export { LocalFsArtifactStore } from './local-fs.artifact-store.js';
export { openArtifactStore } from './open-artifact-store.js';
export { S3ArtifactStore, type S3Config } from './s3.artifact-store.js';
export { safeArtifactPath } from './safe-path.js';
