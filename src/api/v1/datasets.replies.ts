import { z } from 'zod';
import type { GcReport } from '../../domain/datasets/blob-keeper.js';
import { DATASHEET_SECTIONS, type Datasheet, type DatasetVersion, type LineageGraph } from '../../domain/datasets/types.js';
import type { VersionDiff } from '../../domain/datasets/version-diff.js';
import { Expectation, Suite, type ExpectationType, type StoredSuite, type StoredValidation } from '../../domain/validation/types.js';
import { described } from './replies.js';

/** Datasets, datasheets, lineage and validation results as the native API sends them. */
const Time = z.number().describe('milliseconds since the epoch');
const Column = z.object({ name: z.string(), type: z.string() });
const Figure = z.number().nullable().optional();

const ColumnProfile = z.object({
  name: z.string(),
  type: z.string(),
  nullCount: z.number().int(),
  distinctCount: z.number().int(),
  min: z.union([z.string(), z.number()]).nullable().optional(),
  max: z.union([z.string(), z.number()]).nullable().optional(),
  mean: Figure,
  std: Figure,
  q25: Figure,
  q50: Figure,
  q75: Figure,
  topValues: z.array(z.object({ value: z.string(), count: z.number().int() })).optional().describe('the most frequent values of a non-numeric column, with exact counts'),
  approximate: z.object({
    distinctCount: z.object({ method: z.literal('hyperloglog'), relativeStandardError: z.number() }).optional(),
    quantiles: z.object({ method: z.literal('reservoir sample'), sampleSize: z.number().int(), rankError: z.number(), confidence: z.number() }).optional(),
  }).optional().describe('only on tables above the exact-profile row limit: which figures are estimates, and their error bounds'),
}).meta({ id: 'ColumnProfile' });

export const DatasetVersionOut = described<DatasetVersion>()(z.object({
  id: z.string(),
  name: z.string(),
  version: z.number().int(),
  digest: z.string().describe('sha256 over the sorted `path\\0sha256\\n` lines of the files'),
  size: z.number().int(),
  files: z.array(z.object({ path: z.string(), size: z.number().int(), sha256: z.string() })),
  rowCount: z.number().int().nullable(),
  schema: z.array(Column).nullable(),
  profile: z.array(ColumnProfile).nullable(),
  parts: z.array(z.object({ path: z.string(), rowCount: z.number().int(), schema: z.array(Column), profile: z.array(ColumnProfile) })).nullable()
    .describe('the table\'s files profiled one by one, when it has more than one'),
  schemaDifferences: z.array(z.object({ column: z.string(), missingFrom: z.array(z.string()), types: z.record(z.string(), z.array(z.string())) })),
  labels: z.array(z.string()),
  createdBy: z.string(),
  createdAt: Time,
}).meta({ id: 'DatasetVersion' }));

export const BlobStored = z.object({ sha256: z.string(), size: z.number().int(), created: z.boolean().describe('false when the store already had these bytes') });
export const MissingBlobsOut = z.object({ missing: z.array(z.string()).describe('the sha256 digests the store lacks: upload those') });
export const AddedVersion = z.object({
  version: DatasetVersionOut,
  created: z.boolean().describe('false when the latest version already had exactly these files'),
  warnings: z.array(z.string()),
});
export const DatasetSummary = z.object({ name: z.string(), latestVersion: z.number().int(), versions: z.number().int() });

export const GcReportOut = described<GcReport>()(z.object({
  dryRun: z.boolean(),
  removed: z.number().int().describe('unreferenced blobs removed (or that would be, in a dry run)'),
  bytesFreed: z.number().int(),
  inUse: z.number().int().describe('unreferenced blobs left alone because an upload or add in progress claims them'),
  kept: z.number().int(),
}));

const Keys = z.object({ added: z.array(z.string()), removed: z.array(z.string()), changed: z.array(z.string()) });
export const VersionDiffOut = described<VersionDiff>()(z.object({
  from: z.string(),
  to: z.string(),
  sameContent: z.boolean(),
  rowCount: z.tuple([z.number().int().nullable(), z.number().int().nullable()]),
  addedColumns: z.array(Column),
  removedColumns: z.array(Column),
  columnChanges: z.array(z.object({ column: z.string(), changes: z.record(z.string(), z.tuple([z.unknown(), z.unknown()])).describe('the profile figures that differ, as [before, after]') })),
  files: Keys,
  rows: z.object({
    key: z.string(),
    added: z.number().int(),
    removed: z.number().int(),
    changed: z.number().int(),
    columns: z.object({ compared: z.array(z.string()), added: z.array(z.string()), removed: z.array(z.string()) }),
    sample: Keys.describe('up to 20 keys of each kind, as text'),
  }).optional().describe('rows compared by the key column, when one was given'),
}).meta({ id: 'DatasetDiff' }));

const Section = z.enum(DATASHEET_SECTIONS);
export const DatasheetOut = described<Datasheet & { markdown: string }>()(z.object({
  name: z.string(),
  sections: z.record(Section, z.string()).describe('every section: what people wrote, or a draft for a section nobody wrote yet'),
  drafted: z.array(Section),
  updatedBy: z.string().nullable(),
  updatedAt: Time.nullable(),
  markdown: z.string(),
}).meta({ id: 'Datasheet' }));

export const StoredSuiteOut = described<StoredSuite>()(Suite.extend({
  version: z.number().int(), digest: z.string(), createdBy: z.string(), createdAt: Time,
}).meta({ id: 'ValidationSuite' }));
/** A suite suggested from a profile, not registered yet: register it as it is or after editing (`POST /validation-suites`). */
export const SuggestedSuiteOut = described<Suite>()(Suite.meta({ id: 'SuggestedSuite' }));
export const SuiteSummary = z.object({ name: z.string(), latestVersion: z.number().int() });

/** Every expectation type a suite may name, read off the suite schema. */
const ExpectationTypeOut = z.enum(Expectation.options.map((o) => o.shape.expectation_type.value) as [ExpectationType, ...ExpectationType[]]);

const ExpectationResult = z.object({
  success: z.boolean(),
  expectation_config: z.object({ expectation_type: ExpectationTypeOut, kwargs: z.record(z.string(), z.unknown()) }),
  result: z.object({
    observed_value: z.unknown().optional(),
    element_count: z.number().int().optional(),
    missing_count: z.number().int().optional(),
    missing_percent: z.number().nullable().optional(),
    unexpected_count: z.number().int().optional(),
    unexpected_percent: z.number().nullable().optional(),
    unexpected_percent_total: z.number().nullable().optional(),
    unexpected_percent_nonmissing: z.number().nullable().optional(),
    partial_unexpected_list: z.array(z.unknown()).optional(),
    partial_unexpected_counts: z.array(z.object({ value: z.unknown(), count: z.number().int() })).optional(),
    partial_unexpected_index_list: z.array(z.number().int()).optional(),
    unexpected_list: z.array(z.unknown()).optional(),
    unexpected_index_list: z.array(z.number().int()).optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
  exception_info: z.object({ raised_exception: z.literal(true), exception_message: z.string() }).optional(),
}).describe('shaped like Great Expectations\' ExpectationValidationResult');

export const StoredValidationOut = described<StoredValidation>()(z.object({
  id: z.string(),
  versionId: z.string(),
  suiteName: z.string(),
  suiteVersion: z.number().int(),
  success: z.boolean(),
  result: z.object({
    success: z.boolean(),
    suite_name: z.string(),
    statistics: z.object({
      evaluated_expectations: z.number().int(),
      successful_expectations: z.number().int(),
      unsuccessful_expectations: z.number().int(),
      success_percent: z.number().nullable(),
    }),
    results: z.array(ExpectationResult),
  }).describe('shaped like Great Expectations\' ExpectationSuiteValidationResult'),
  createdBy: z.string(),
  createdAt: Time,
}).meta({ id: 'Validation' }));

export const LineageGraphOut = described<LineageGraph>()(z.object({
  root: z.object({ kind: z.string(), id: z.string() }),
  direction: z.enum(['upstream', 'downstream']),
  nodes: z.array(z.object({ kind: z.string(), id: z.string(), depth: z.number().int().describe('the fewest hops from the root'), label: z.string().optional() })),
  edges: z.array(z.object({
    from: z.object({ kind: z.string(), id: z.string() }),
    to: z.object({ kind: z.string(), id: z.string() }),
    relation: z.string(),
    createdAt: Time,
    origin: z.enum(['platform', 'user']).describe('platform: recorded by OpenExpert from an operation it checked; user: posted to the lineage API'),
  })),
}).meta({ id: 'LineageGraph' }));
