import { get } from './client';
import { projectQuery } from '../lib/current-project';

/** Shapes of the datasets native API (src/api/v1/datasets.routes.ts). */
export interface DatasetSummary {
  readonly name: string;
  readonly latestVersion: number;
  readonly versions: number;
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
  readonly topValues?: readonly { readonly value: string; readonly count: number }[];
  /** Only on tables above the server's exact-profile row limit: which figures are estimates, and their error bounds. */
  readonly approximate?: ApproximateFigures;
}

export interface ApproximateFigures {
  readonly distinctCount?: { readonly method: string; readonly relativeStandardError: number };
  readonly quantiles?: { readonly method: string; readonly sampleSize: number; readonly rankError: number; readonly confidence: number };
}

/** One file of a table stored in several files. */
export interface PartProfile {
  readonly path: string;
  readonly rowCount: number;
  readonly schema: readonly { readonly name: string; readonly type: string }[];
  readonly profile: readonly ColumnProfile[];
}

/** A column missing from some parts, or of another type in some (`types`: each type → the files with it). */
export interface SchemaDifference {
  readonly column: string;
  readonly missingFrom: readonly string[];
  readonly types: Readonly<Record<string, readonly string[]>>;
}

export interface DatasetVersion {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly digest: string;
  readonly size: number;
  readonly files: readonly { readonly path: string; readonly size: number; readonly sha256: string }[];
  readonly rowCount: number | null;
  readonly schema: readonly { readonly name: string; readonly type: string }[] | null;
  readonly profile: readonly ColumnProfile[] | null;
  /** Each file profiled on its own, when the table has more than one (the fields above describe their union). */
  readonly parts?: readonly PartProfile[] | null;
  readonly schemaDifferences?: readonly SchemaDifference[];
  readonly labels: readonly string[];
  readonly createdBy: string;
  readonly createdAt: number;
}

export interface ExpectationResult {
  readonly success: boolean;
  readonly expectation_config: { readonly expectation_type: string; readonly kwargs: Readonly<Record<string, unknown>> };
  readonly result: { readonly observed_value?: unknown; readonly element_count?: number; readonly unexpected_count?: number; readonly unexpected_percent?: number | null };
  readonly exception_info?: { readonly raised_exception: true; readonly exception_message: string };
}

export interface StoredValidation {
  readonly id: string;
  readonly versionId: string;
  readonly suiteName: string;
  readonly suiteVersion: number;
  readonly success: boolean;
  readonly result: {
    readonly success: boolean;
    readonly statistics: { readonly evaluated_expectations: number; readonly successful_expectations: number; readonly unsuccessful_expectations: number; readonly success_percent: number | null };
    readonly results: readonly ExpectationResult[];
  };
  readonly createdBy: string;
  readonly createdAt: number;
}

export interface LineageNode {
  readonly kind: string;
  readonly id: string;
}

export interface LineageGraph {
  readonly root: LineageNode;
  readonly direction: 'upstream' | 'downstream';
  readonly nodes: readonly (LineageNode & { readonly depth: number })[];
  readonly edges: readonly { readonly from: LineageNode; readonly to: LineageNode; readonly relation: string; readonly createdAt: number }[];
}

const base = (name: string) => `/api/v1/datasets/${encodeURIComponent(name)}`;

export const datasetsApi = {
  list: (signal?: AbortSignal) => get<{ items: DatasetSummary[] }>('/api/v1/datasets', projectQuery(), signal),
  versions: (name: string, signal?: AbortSignal) => get<{ items: DatasetVersion[] }>(`${base(name)}/versions`, undefined, signal),
  version: (name: string, ref: string, signal?: AbortSignal) => get<DatasetVersion>(`${base(name)}/versions/${encodeURIComponent(ref)}`, undefined, signal),
  validations: (name: string, ref: string, signal?: AbortSignal) =>
    get<{ items: StoredValidation[] }>(`${base(name)}/versions/${encodeURIComponent(ref)}/validations`, undefined, signal),
  lineage: (node: LineageNode, direction: 'upstream' | 'downstream', signal?: AbortSignal) =>
    get<LineageGraph>(`/api/v1/lineage/${encodeURIComponent(node.kind)}/${encodeURIComponent(node.id)}`, { direction }, signal),
};
