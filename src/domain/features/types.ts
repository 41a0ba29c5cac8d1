import type { FeatureSkew } from './skew.js';
/** Value types a feature or a join key may have; what DuckDB casts to and what the online store keeps. */
export const FEATURE_TYPES = ['int64', 'float64', 'string', 'bool'] as const;
export type FeatureType = (typeof FEATURE_TYPES)[number];
export const KEY_TYPES = ['int64', 'string'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export interface EntityDef {
  readonly name: string;
  readonly joinKeys: readonly { readonly name: string; readonly type: KeyType }[];
  readonly description?: string | undefined;
}

/**
 * Where a view's rows come from: exactly one of a dataset version (`name@version`), a Parquet/CSV path on the
 * server's file system, or an s3:// URI; `timestampField` is the event time, `createdField` breaks ties.
 */
export type SourceDef =
  | { readonly kind: 'dataset'; readonly dataset: string; readonly timestampField: string; readonly createdField?: string | undefined }
  | { readonly kind: 'path'; readonly path: string; readonly timestampField: string; readonly createdField?: string | undefined }
  | { readonly kind: 's3'; readonly uri: string; readonly timestampField: string; readonly createdField?: string | undefined };

export interface FieldDef {
  readonly name: string;
  readonly type: FeatureType;
}

/** A feature computed from the view's own features by one expression, the same on the offline and online paths. */
export interface DerivedDef {
  readonly name: string;
  readonly expression: string;
}

export interface FeatureViewDef {
  readonly name: string;
  readonly entity: string;
  readonly source: SourceDef;
  readonly schema: readonly FieldDef[];
  readonly derived: readonly DerivedDef[];
  /** Seconds a value stays valid after its event time; 0 means it never expires (Feast's ttl=0). */
  readonly ttlSeconds: number;
  readonly owner?: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly description?: string | undefined;
}

export interface FeatureRepo {
  readonly entities: readonly EntityDef[];
  readonly featureViews: readonly FeatureViewDef[];
}

export type ObjectKindName = 'entity' | 'feature_view';

/** One registered version of an entity or a feature view. */
export interface Registered<T> {
  readonly name: string;
  readonly version: number;
  readonly spec: T;
  readonly digest: string;
  readonly createdBy: string;
  readonly createdAt: number;
}

export type PlanAction = 'create' | 'update' | 'delete' | 'unchanged';
export interface PlanItem {
  readonly kind: ObjectKindName;
  readonly name: string;
  readonly action: PlanAction;
  /** The version registered now, and the one apply registers (update, create). */
  readonly fromVersion?: number | undefined;
  readonly toVersion?: number | undefined;
  /** The top-level fields an update changes. */
  readonly changes: readonly string[];
}

export interface Watermark {
  readonly view: string;
  /** Epoch ms: rows with event time up to here are in the online store. */
  readonly until: number;
  readonly rows: number;
  readonly updatedAt: number;
}

/** The registry of feature definitions and materialization watermarks. */
export interface FeatureStore {
  latestEntities(): Promise<Registered<EntityDef>[]>;
  latestViews(): Promise<Registered<FeatureViewDef>[]>;
  viewVersions(name: string): Promise<Registered<FeatureViewDef>[]>;
  /**
   * Changes whenever definitions change (any replica's apply): a cheap check that lets a server keep the definitions
   * in memory and reread them only when another replica changed them.
   */
  definitionsStamp(): Promise<string>;
  /** The highest version a name ever had (deletions included); 0 for a new name. */
  lastVersion(kind: ObjectKindName, name: string): Promise<number>;
  /** One transaction: new versions, and deletions (the name's latest version marked deleted). */
  apply(changes: { readonly entities: readonly Registered<EntityDef>[]; readonly views: readonly Registered<FeatureViewDef>[]; readonly deleted: readonly { kind: ObjectKindName; name: string }[]; readonly at: number }): Promise<void>;
  watermarks(): Promise<Watermark[]>;
  setWatermark(w: Watermark): Promise<void>;
  /** Replaces the view's latest skew report. */
  saveSkewReport(report: ViewSkewReport): Promise<void>;
  skewReport(view: string): Promise<ViewSkewReport | undefined>;
}

/** The part of a skew check about one view's features, kept as the view's latest. */
export interface ViewSkewReport {
  readonly view: string;
  readonly rows: number;
  readonly tolerance: number;
  readonly features: readonly FeatureSkew[];
  readonly checkedBy: string;
  readonly checkedAt: number;
}

/** A value in the online store for one entity of one view: the row's feature values and its event time. */
export interface OnlineRow {
  readonly key: string;
  readonly values: Readonly<Record<string, unknown>>;
  readonly eventTime: number;
}

/** Latest feature values per entity key, for serving. */
export interface OnlineStore {
  readonly name: string;
  /** Writes rows, keeping for each key whichever row has the newer event time. */
  write(view: string, rows: readonly OnlineRow[]): Promise<void>;
  read(view: string, keys: readonly string[]): Promise<(OnlineRow | undefined)[]>;
  /** Removes a view's rows (the view was deleted). */
  drop(view: string): Promise<void>;
  close(): Promise<void>;
}

export type OnlineStatus = 'PRESENT' | 'NULL_VALUE' | 'NOT_FOUND' | 'OUTSIDE_MAX_AGE';

export interface OnlineValue {
  readonly value: unknown;
  readonly status: OnlineStatus;
  /** The event time of the row the value came from (epoch ms). */
  readonly eventTime?: number | undefined;
}

export interface OnlineResult {
  readonly features: readonly string[];
  readonly rows: readonly { readonly entity: Readonly<Record<string, unknown>>; readonly values: Readonly<Record<string, OnlineValue>> }[];
  /** One line per feature whose values were withheld because they were older than the view's TTL. */
  readonly warnings: readonly string[];
}

export interface ViewSummary {
  readonly name: string;
  readonly version: number;
  readonly entity: string;
  readonly features: readonly string[];
  readonly ttlSeconds: number;
  readonly owner?: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly source: SourceDef;
  readonly createdAt: number;
  readonly createdBy: string;
  /** Rows with event time up to here are online; absent before the first materialization. */
  readonly materializedUntil?: number | undefined;
  readonly materializedAt?: number | undefined;
  /** Seconds between now and materializedUntil. */
  readonly stalenessSeconds?: number | undefined;
  /** True when the online values are older than the TTL: they would be served as OUTSIDE_MAX_AGE. */
  readonly stale: boolean;
}
