/**
 * Up to this many rows a profile is exact: COUNT(DISTINCT) and quantiles interpolated linearly between the
 * closest ranks (pandas' `describe`, numpy's default). 10M rows of a column cost about 80 MB in the quantile
 * and each column is profiled in a query of its own, so memory stays bounded by one column. The server's
 * `OPENEXPERT_EXACT_PROFILE_ROWS` moves the limit.
 */
export const EXACT_PROFILE_ROWS = 10_000_000;

/** One file of a dataset version: its path inside the dataset and the sha256 of its bytes (lowercase hex). */
export interface DatasetFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface ColumnProfile {
  readonly name: string;
  readonly type: string;
  readonly nullCount: number;
  readonly distinctCount: number;
  readonly min?: string | number | null;
  readonly max?: string | number | null;
  readonly mean?: number | null;
  readonly std?: number | null;
  readonly q25?: number | null;
  readonly q50?: number | null;
  readonly q75?: number | null;
  /** The most frequent values of a non-numeric column, with their exact counts. */
  readonly topValues?: readonly { readonly value: string; readonly count: number }[];
  /** Only on tables above the exact-profile row limit: which figures are estimates, and their error bounds. */
  readonly approximate?: ApproximateFigures;
}

export interface ApproximateFigures {
  /** HyperLogLog: the estimate is within ±1 relative standard error of the true count about 68 % of the time, ±2 about 95 %. */
  readonly distinctCount?: { readonly method: 'hyperloglog'; readonly relativeStandardError: number };
  /** Quartiles of a uniform sample: with probability `confidence`, each value's true rank is within ±rankError of 0.25, 0.5, 0.75. */
  readonly quantiles?: { readonly method: 'reservoir sample'; readonly sampleSize: number; readonly rankError: number; readonly confidence: number };
}

/** One file of a table stored in several files (a partitioned dataset). */
export interface PartProfile {
  readonly path: string;
  readonly rowCount: number;
  readonly schema: readonly { name: string; type: string }[];
  readonly profile: readonly ColumnProfile[];
}

/** A column that is not the same in every part: missing from some files, or of another type in some (`types` maps each type to its files). */
export interface SchemaDifference {
  readonly column: string;
  readonly missingFrom: readonly string[];
  readonly types: Readonly<Record<string, readonly string[]>>;
}

export interface DatasetVersion {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  /** sha256 over the sorted `path\0sha256\n` lines of the files: independent of the order files arrive in. */
  readonly digest: string;
  readonly size: number;
  readonly files: readonly DatasetFile[];
  readonly rowCount: number | null;
  readonly schema: readonly { name: string; type: string }[] | null;
  readonly profile: readonly ColumnProfile[] | null;
  /** The table's files profiled one by one, when it has more than one (rowCount, schema and profile above are of their union). */
  readonly parts: readonly PartProfile[] | null;
  readonly schemaDifferences: readonly SchemaDifference[];
  readonly labels: readonly string[];
  readonly createdBy: string;
  readonly createdAt: number;
}

export type NewDatasetVersion = Omit<DatasetVersion, 'id' | 'version' | 'labels'>;

/** Gebru et al., "Datasheets for Datasets" (2021): the seven sections, in the paper's order. */
export const DATASHEET_SECTIONS = ['motivation', 'composition', 'collection', 'preprocessing', 'uses', 'distribution', 'maintenance'] as const;
export type DatasheetSection = (typeof DATASHEET_SECTIONS)[number];

export interface Datasheet {
  readonly name: string;
  /** Every section: what people wrote, or a draft from what the platform knows for a section nobody wrote yet. */
  readonly sections: Readonly<Record<DatasheetSection, string>>;
  readonly drafted: readonly DatasheetSection[];
  readonly updatedBy: string | null;
  readonly updatedAt: number | null;
}

/**
 * A node of the lineage graph, owned by whichever module made it: `dataset_version` (id = version id, or
 * `name@ref` on input), `run`, `model_version` (`name/version`), `validation`, `deployment`, or any other
 * lowercase kind a module adds. Relations in use: consumed, produced, derived_from, validated, deployed_as.
 */
export interface LineageNode {
  readonly kind: string;
  readonly id: string;
}

/**
 * Who asserted an edge: `platform` when OpenExpert recorded it from an operation it performed and checked (a dataset
 * version made from sources, an evaluation, a run's logged inputs, a registration), `user` when a caller posted it to
 * the lineage API. Evidence providers trust only `platform` edges unless a policy says otherwise.
 */
export type LineageOrigin = 'platform' | 'user';

/** Edges point downstream: from what was used to what was made from it. */
export interface LineageEdge {
  readonly from: LineageNode;
  readonly to: LineageNode;
  readonly relation: string;
  readonly createdAt: number;
  readonly origin: LineageOrigin;
}

export interface LineageGraph {
  readonly root: LineageNode;
  readonly direction: 'upstream' | 'downstream';
  /** Every node reached, with the fewest hops it took; the lineage API adds each node's `label` (see `lineage-label.ts`). */
  readonly nodes: readonly (LineageNode & { depth: number; label?: string })[];
  readonly edges: readonly LineageEdge[];
}
