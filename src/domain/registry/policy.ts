import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { invalid } from '../../core/errors.js';
import type { Target } from './types.js';
import { canonicalStage, validateAlias } from './validation.js';

/**
 * Promotion policies: per registered model and per target (a stage or an alias), the checks a version must
 * pass to move there. The same document shape serves a model's own policy and the server's default.
 *
 * Which checks apply to a move onto target T of model M:
 *   1. M's policy, if it names T;
 *   2. for the aliases `champion` and `production` (the production slot under MLflow 3's alias workflow),
 *      M's policy for the Production stage, if it names that stage;
 *   3. otherwise the same two lookups in the server's default policy;
 *   4. otherwise no checks: the move is free.
 * So a model's policy that only speaks about Staging leaves Production under the server default; relaxing
 * Production for one model takes an explicit `Production: {checks: []}`.
 */
export const PRODUCTION_ALIASES: readonly string[] = ['champion', 'production'];

/** Default for `required_tags`: MLflow's own tags stand in for `git_commit` and `author`. */
export const DEFAULT_REQUIRED_TAGS: readonly string[] = ['git_commit', 'dataset_version', 'author', 'experiment_type'];
export const TAG_ALTERNATIVES: Readonly<Record<string, readonly string[]>> = {
  git_commit: ['mlflow.source.git.commit'],
  author: ['mlflow.user'],
};

const Name = z.string().min(1).max(200).optional();
export const CheckSpecSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('required_tags'), name: Name, tags: z.array(z.string().min(1)).min(1).default([...DEFAULT_REQUIRED_TAGS]) }).strict(),
  z.object({
    type: z.literal('metric_threshold'), name: Name, metric: z.string().min(1), op: z.enum(['>=', '>', '<=', '<', '==']), value: z.number().finite(),
  }).strict(),
  z.object({
    type: z.literal('not_worse_than_current'), name: Name, metric: z.string().min(1),
    direction: z.enum(['higher_is_better', 'lower_is_better']), tolerance: z.number().finite().min(0).default(0),
  }).strict(),
  z.object({ type: z.literal('evidence'), name: Name, provider: z.string().min(1), params: z.record(z.string(), z.unknown()).default({}) }).strict(),
  z.object({
    type: z.literal('approvals'), name: Name, required: z.number().int().min(0).max(20).default(1),
    /** Only members of this group count (membership is read when the checks run). */
    group: z.string().min(1).max(256).optional(),
    /** The source run's author may not approve their own model (segregation of duties); on unless set false. */
    excludeRunAuthor: z.boolean().optional(),
  }).strict(),
  /** The source run was rerun (`openexpert reproduce`) within tolerance, by default by someone other than its author. */
  z.object({
    type: z.literal('reproduced'), name: Name,
    /** `accuracy=0.01,loss=2%` or `{accuracy: {abs: 0.01}}`; absent: the reproducer's own tolerance. */
    tolerance: z.union([z.string().min(1).max(4096), z.record(z.string(), z.object({ abs: z.number().min(0) }).strict().or(z.object({ rel: z.number().min(0) }).strict()))]).optional(),
    by: z.enum(['other_than_author', 'anyone']).default('other_than_author'),
  }).strict(),
]);
export type CheckSpec = z.output<typeof CheckSpecSchema>;

const TargetPolicy = z.object({ checks: z.array(CheckSpecSchema).max(50) }).strict();
export const PolicySchema = z
  .object({
    stages: z.record(z.string(), TargetPolicy).default({}),
    aliases: z.record(z.string(), TargetPolicy).default({}),
  })
  .strict();
export type PromotionPolicy = z.output<typeof PolicySchema>;

/** Parses and normalizes a policy document: stage keys become canonical, alias names are checked. */
export function parsePolicy(document: unknown, what = 'policy'): PromotionPolicy {
  const result = PolicySchema.safeParse(document ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : what;
    throw invalid(`Invalid ${what} at '${field}': ${issue.message}`);
  }
  const stages: PromotionPolicy['stages'] = {};
  for (const [stage, p] of Object.entries(result.data.stages)) stages[canonicalStage(stage)] = p;
  for (const alias of Object.keys(result.data.aliases)) validateAlias(alias, { forWrite: true });
  return { stages, aliases: result.data.aliases };
}

/** Used when the server's configuration names no default policy. */
export const BUILT_IN_DEFAULT_POLICY: PromotionPolicy = {
  stages: {
    Production: {
      checks: [
        { type: 'required_tags', tags: [...DEFAULT_REQUIRED_TAGS] },
        { type: 'approvals', required: 1 },
      ],
    },
  },
  aliases: {},
};

/** Prompts follow no checks unless they have their own policy: a label moves freely until the prompt's owners say otherwise. */
export const PROMPT_DEFAULT_POLICY: PromotionPolicy = { stages: {}, aliases: {} };

function lookup(policy: PromotionPolicy, target: Target): readonly CheckSpec[] | undefined {
  if (target.kind === 'stage') return policy.stages[target.stage]?.checks;
  const own = policy.aliases[target.alias]?.checks;
  if (own) return own;
  return PRODUCTION_ALIASES.includes(target.alias) ? policy.stages.Production?.checks : undefined;
}

export function effectiveChecks(modelPolicy: PromotionPolicy | undefined, defaultPolicy: PromotionPolicy, target: Target): readonly CheckSpec[] {
  return (modelPolicy && lookup(modelPolicy, target)) ?? lookup(defaultPolicy, target) ?? [];
}

const OP_TEXT: Record<string, string> = { '>=': '>=', '>': '>', '<=': '<=', '<': '<', '==': '==' };

/** A readable name for a check that was given none. */
export function checkName(spec: CheckSpec): string {
  if (spec.name) return spec.name;
  switch (spec.type) {
    case 'required_tags':
      return `required tags ${spec.tags.join(', ')}`;
    case 'metric_threshold':
      return `${spec.metric} ${OP_TEXT[spec.op]} ${spec.value}`;
    case 'not_worse_than_current':
      return `${spec.metric} not worse than current${spec.tolerance ? ` (tolerance ${spec.tolerance})` : ''}`;
    case 'evidence':
      return `evidence: ${spec.provider}`;
    case 'approvals':
      return `${spec.required} approval${spec.required === 1 ? '' : 's'}${spec.group ? ` from ${spec.group}` : ''}`;
    case 'reproduced':
      return `reproduced${spec.by === 'other_than_author' ? ' by someone other than the author' : ''}`;
  }
}

/**
 * The server's default policy from a YAML or JSON file (`--promotion-policy` / `OPENEXPERT_PROMOTION_POLICY`);
 * the built-in default when no file is named. A bad file stops the server at start, not at the first promotion.
 */
export function loadDefaultPolicy(file: string | undefined): PromotionPolicy {
  if (!file) return BUILT_IN_DEFAULT_POLICY;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(`Cannot read the promotion policy file '${file}': ${(err as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (err) {
    throw invalid(`The promotion policy file '${file}' is neither YAML nor JSON: ${(err as Error).message}`);
  }
  return parsePolicy(document, `promotion policy file '${file}'`);
}
