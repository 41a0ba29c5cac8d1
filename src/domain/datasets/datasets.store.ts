import type { StoredSuite, StoredValidation, Suite } from '../validation/types.js';
import type { NodeFacts } from './lineage-label.js';
import type { DatasetVersion, DatasheetSection, LineageEdge, LineageGraph, LineageNode, NewDatasetVersion } from './types.js';

export interface StoredDatasheet {
  readonly sections: Partial<Record<DatasheetSection, string>>;
  readonly updatedBy: string;
  readonly updatedAt: number;
}

export interface DatasetStore {
  /**
   * Returns the existing version when the name already holds these bytes (`created: false`). Labels and the
   * edges made from the version's id are written in the same transaction, for a new or an existing version.
   */
  addVersion(v: NewDatasetVersion, links: { labels: readonly string[]; edges: (versionId: string) => LineageEdge[] }): Promise<{ version: DatasetVersion; created: boolean }>;
  getVersion(name: string, version: number): Promise<DatasetVersion | undefined>;
  getVersionById(id: string): Promise<DatasetVersion | undefined>;
  resolveLabel(name: string, label: string): Promise<number | undefined>;
  listVersions(name: string): Promise<DatasetVersion[]>;
  listNames(): Promise<{ name: string; latestVersion: number; versions: number }[]>;
  setLabel(name: string, label: string, version: number, at: number): Promise<void>;

  getDatasheet(name: string): Promise<StoredDatasheet | undefined>;
  /** Merges the given sections into what is stored; an empty string clears a section. */
  saveDatasheet(name: string, sections: Partial<Record<DatasheetSection, string>>, by: string, at: number): Promise<void>;

  recordLineage(edges: readonly LineageEdge[]): Promise<void>;
  /** Names and versions of the nodes' objects, read from the modules that own them, to label a graph. */
  nodeFacts(nodes: readonly LineageNode[]): Promise<NodeFacts>;
  /** Breadth-first over recorded edges and MLflow run inputs, at most `depth` hops. */
  traverse(root: LineageNode, direction: 'upstream' | 'downstream', depth: number): Promise<LineageGraph>;

  /** Registers a suite; the same expectations again return the version that already holds them. */
  /** The suite's version with these expectations; `created` when this call stored it (a new version). */
  saveSuite(suite: Suite & { digest: string; createdBy: string; createdAt: number }): Promise<{ suite: StoredSuite; created: boolean }>;
  /** The newest version when `version` is omitted. */
  getSuite(name: string, version?: number): Promise<StoredSuite | undefined>;
  listSuites(): Promise<{ name: string; latestVersion: number }[]>;

  /**
   * Blob claims, so deletion never races an upload or an add. A writer claims, then asks whether a deletion
   * is under way; a deleter marks its deletion, then asks whether a claim is live. Each step is committed
   * before the next, so one of the two always sees the other.
   * `claimBlobs` claims the blobs for `holder` until `expiresAt` and returns those a deletion begun after
   * `staleBefore` is removing right now (the writer waits for them, then finds them gone).
   */
  claimBlobs(shas: readonly string[], holder: string, expiresAt: number, staleBefore: number): Promise<string[]>;
  releaseClaims(shas: readonly string[], holders: readonly string[]): Promise<void>;
  /** The blobs among `shas` that some holder claims until after `now`. */
  claimedBlobs(shas: readonly string[], now: number): Promise<Set<string>>;
  /** Marks a blob as being deleted: false when another deletion (begun after `staleBefore`) holds it or a claim is live at `now`. */
  beginBlobDeletion(sha: string, now: number, staleBefore: number): Promise<boolean>;
  endBlobDeletion(sha: string): Promise<void>;
  /** The blobs among `shas` that a version's files name, or all such blobs when `shas` is omitted. */
  referencedBlobs(shas?: readonly string[]): Promise<Set<string>>;
  /** Drops claims that expired before `now` and deletions begun before `staleBefore`. */
  pruneClaims(now: number, staleBefore: number): Promise<void>;

  /** Stores the result and its `validated` edge from the dataset version, together. */
  saveValidation(v: StoredValidation): Promise<void>;
  listValidations(versionId: string): Promise<StoredValidation[]>;
}
