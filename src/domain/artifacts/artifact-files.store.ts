/** What is known about each stored artifact file beyond its bytes: size and content digest. */
export interface ArtifactFileRecord {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly updatedAt: number;
}

export interface ArtifactFilesStore {
  record(file: ArtifactFileRecord): Promise<void>;
  get(path: string): Promise<ArtifactFileRecord | undefined>;
  /** Forgets a file, or everything under a directory. */
  forget(path: string): Promise<void>;
}
