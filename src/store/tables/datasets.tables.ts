/** Dataset, lineage and validation tables. Times are epoch milliseconds; JSON columns are text. */
export interface DatasetTables {
  dataset_versions: DatasetVersionsTable;
  dataset_labels: DatasetLabelsTable;
  datasheets: DatasheetsTable;
  lineage_edges: LineageEdgesTable;
  validation_suites: ValidationSuitesTable;
  validation_results: ValidationResultsTable;
  dataset_blob_claims: DatasetBlobClaimsTable;
  dataset_blob_deletions: DatasetBlobDeletionsTable;
}

export interface DatasetVersionsTable {
  version_id: string;
  name: string;
  version: number;
  digest: string;
  size: number;
  files: string;
  row_count: number | null;
  schema: string | null;
  profile: string | null;
  /** `{parts, schemaDifferences}` of a table in several files; null for one file. */
  parts: string | null;
  created_by: string;
  created_at: number;
}

export interface DatasetLabelsTable {
  name: string;
  label: string;
  version: number;
  updated_at: number;
}

export interface DatasheetsTable {
  name: string;
  sections: string;
  updated_by: string;
  updated_at: number;
}

export interface LineageEdgesTable {
  from_kind: string;
  from_id: string;
  to_kind: string;
  to_id: string;
  relation: string;
  created_at: number;
  origin: string;
}

export interface ValidationSuitesTable {
  name: string;
  version: number;
  digest: string;
  expectations: string;
  created_by: string;
  created_at: number;
}

export interface ValidationResultsTable {
  result_id: string;
  version_id: string;
  suite_name: string;
  suite_version: number;
  success: number;
  result: string;
  created_by: string;
  created_at: number;
}

export interface DatasetBlobClaimsTable {
  sha256: string;
  holder: string;
  expires_at: number;
}

export interface DatasetBlobDeletionsTable {
  sha256: string;
  started_at: number;
}
