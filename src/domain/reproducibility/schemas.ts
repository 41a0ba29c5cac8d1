import { z } from 'zod';

/**
 * What crosses the wire for the reproducibility module: a run's capture (written by the CLI that ran the
 * command), a reproduction request, and a pipeline run's state. The CLI builds these; the server checks them.
 */
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest');
const Text = z.string().max(4096);
const ArtifactPath = z.string().min(1).max(1000);

export const CapturedFileSchema = z.object({
  path: z.string().min(1).max(1024),
  sha256: Sha256,
  size: z.number().int().min(0),
  /** Where the file's bytes were kept, relative to the run's artifact root. */
  artifact: ArtifactPath.optional(),
}).strict();

export const CaptureSchema = z.object({
  command: z.array(z.string().max(65_536)).min(1).max(10_000),
  /** The working directory, relative to the git root when there is one (so a checkout elsewhere finds it). */
  cwd: Text,
  git: z.object({
    commit: z.string().regex(/^[0-9a-f]{40,64}$/, 'must be a git commit id'),
    /** Where the repository lived on the capturing machine; reproduce looks there first, then at `remote`. */
    root: Text,
    remote: Text.optional(),
    branch: Text.optional(),
    dirty: z.boolean(),
    diffArtifact: ArtifactPath.optional(),
    diffSha256: Sha256.optional(),
  }).strict().optional(),
  environment: z.object({
    os: z.object({ platform: Text, release: Text, arch: Text }).strict(),
    interpreters: z.record(z.string().max(64), Text).default({}),
    libraries: z.record(z.string().max(256), Text).default({}),
    lockFiles: z.array(CapturedFileSchema).max(200).default([]),
  }).strict(),
  inputs: z.array(CapturedFileSchema).max(10_000).default([]),
  datasets: z.array(z.object({
    name: z.string().min(1).max(256),
    version: z.number().int().positive(),
    digest: z.string().max(256),
    /** Where the files were put for the command, relative to its working directory. */
    path: z.string().max(1024).optional(),
  }).strict()).max(200).default([]),
  seeds: z.record(z.string().max(256), z.string().max(256)).default({}),
  /**
   * Environment variables OpenExpert itself gave the command (a sweep trial's SWEEP_<NAME> parameters and
   * OPENEXPERT_TRIAL_*; a reproduction's seed and dataset pins), never the caller's own environment: reproduce sets them again.
   */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/, 'must be an environment variable name'), z.string().max(65_536)).optional(),
  /** Parameters the command line gave (`--lr 0.01`); the ones the command logged itself are the run's params. */
  params: z.record(z.string().max(256), z.string().max(6000)).default({}),
  hardware: z.object({
    cpus: z.number().int().min(0),
    cpuModel: Text,
    memoryBytes: z.number().min(0),
    gpus: z.array(Text).max(64).default([]),
  }).strict(),
  wallTimeMs: z.number().min(0),
  exitCode: z.number().int().nullable(),
  signal: z.string().max(32).nullable().default(null),
  logArtifact: ArtifactPath.optional(),
}).strict();
export type CaptureInput = z.output<typeof CaptureSchema>;

/** `accuracy=0.01,loss=2%`: an absolute margin, or a percentage of the original value; `*` for every other metric. */
export const ToleranceSchema = z.record(
  z.string().min(1).max(250),
  z.object({ abs: z.number().finite().min(0) }).strict().or(z.object({ rel: z.number().finite().min(0) }).strict()),
);
export type Tolerance = z.output<typeof ToleranceSchema>;

export const ReproductionRequestSchema = z.object({
  sourceRunId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a run id'),
  runId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a run id'),
  tolerance: z.union([z.string().max(4096), ToleranceSchema]).default({}),
}).strict();
export type ReproductionRequest = z.output<typeof ReproductionRequestSchema>;

export const STEP_STATES = ['pending', 'running', 'succeeded', 'failed', 'cached', 'skipped'] as const;

export const PipelineRunSchema = z.object({
  name: z.string().min(1).max(256),
  experimentId: z.string().min(1).max(64),
  status: z.enum(['running', 'succeeded', 'failed']),
  environment: z.string().max(64).optional(),
  fileSha256: Sha256,
  startedAt: z.number().int().min(0),
  finishedAt: z.number().int().min(0).optional(),
  executor: z.enum(['local', 'kubernetes']).default('local'),
  steps: z.array(z.object({
    name: z.string().min(1).max(256),
    needs: z.array(z.string().max(256)).max(1000),
    state: z.enum(STEP_STATES),
    cache: z.enum(['hit', 'miss']).optional(),
    reason: z.string().max(2000).optional(),
    key: Sha256.optional(),
    runId: z.string().regex(/^[0-9a-f]{32}$/).optional(),
    attempts: z.number().int().min(0).default(0),
    durationMs: z.number().min(0).optional(),
    error: z.string().max(4000).optional(),
  }).strict()).min(1).max(5000),
}).strict();
export type PipelineRunInput = z.output<typeof PipelineRunSchema>;
