import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { invalid } from '../../core/errors.js';

/**
 * `openexpert.pipeline.yaml`: steps with a command, explicit inputs and outputs, parameters, environment
 * overrides and resource limits. A step that reads another step's output depends on it, as in DVC; `needs`
 * adds an order without data. Paths are relative to the file's folder and may not leave it.
 */
const RelPath = z.string().min(1).max(1024).refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a path inside the pipeline folder');
const Scalar = z.union([z.string().max(4096), z.number(), z.boolean()]);
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
const Quantity = z.union([z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'must be a quantity like 512Mi or 2Gi'), z.number().positive()]);
const Duration = z.union([z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'must be a duration like 90s, 10m or 2h'), z.number().positive()]);

const Resources = z.object({
  cpu: z.union([z.string().regex(/^\d+(\.\d+)?m?$/, 'must be cores like 1, 0.5 or 500m'), z.number().positive()]).optional(),
  memory: Quantity.optional(),
  gpu: z.number().int().min(0).optional(),
  timeout: Duration.optional(),
}).strict();

const Input = z.union([
  RelPath,
  z.object({ dataset: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'must be name@version'), path: RelPath }).strict(),
]);

const Output = z.union([
  RelPath,
  z.object({
    path: RelPath,
    /** Also registered on the server as a version of this dataset (or kept as the step run's artifact). */
    dataset: z.string().min(1).max(256).optional(),
  }).strict(),
]);

const Overrides = z.object({ params: z.record(z.string(), Scalar).default({}), env: z.record(EnvName, z.string().max(65_536)).default({}) }).strict();

const Step = z.object({
  command: z.string().min(1).max(65_536),
  inputs: z.array(Input).max(10_000).default([]),
  /** Source files whose content is part of the step's identity (a changed script reruns the step). */
  code: z.array(RelPath).max(10_000).default([]),
  outputs: z.array(Output).max(10_000).default([]),
  needs: z.array(z.string()).max(1000).default([]),
  params: z.record(z.string(), Scalar).default({}),
  env: z.record(EnvName, z.string().max(65_536)).default({}),
  environments: z.record(z.string(), Overrides).default({}),
  resources: Resources.default({}),
  retries: z.number().int().min(0).max(20).optional(),
  /** The container image for Kubernetes and Argo; local runs ignore it. */
  image: z.string().min(1).max(1024).optional(),
}).strict();

export const PipelineFileSchema = z.object({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be lowercase letters, digits and dashes (it names Kubernetes objects)').max(53),
  experiment: z.string().min(1).max(256).optional(),
  parallelism: z.number().int().min(1).max(256).default(2),
  environments: z.record(z.string(), Overrides).default({}),
  defaults: z.object({
    retries: z.number().int().min(0).max(20).default(0),
    backoff: Duration.default('1s'),
    resources: Resources.default({}),
    image: z.string().min(1).max(1024).optional(),
  }).strict().default({ retries: 0, backoff: '1s', resources: {} }),
  steps: z.record(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'step names must be lowercase letters, digits and dashes').max(63), Step)
    .refine((s) => Object.keys(s).length > 0, 'a pipeline needs at least one step'),
}).strict();
export type PipelineFile = z.output<typeof PipelineFileSchema>;

export interface OutputSpec {
  readonly path: string;
  readonly dataset?: string;
}

/** One step as it will run: overrides of the chosen environment applied, params substituted into the command. */
export interface ResolvedStep {
  readonly name: string;
  readonly command: string;
  readonly fileInputs: readonly string[];
  readonly datasetInputs: readonly { readonly dataset: string; readonly path: string }[];
  readonly code: readonly string[];
  readonly outputs: readonly OutputSpec[];
  /** Steps this one waits for: producers of its inputs, and `needs`. */
  readonly needs: readonly string[];
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly env: Readonly<Record<string, string>>;
  readonly retries: number;
  readonly timeoutMs?: number;
  readonly memoryBytes?: number;
  readonly cpu?: string;
  readonly gpu?: number;
  readonly image?: string;
}

export interface Pipeline {
  readonly name: string;
  readonly experiment: string;
  readonly parallelism: number;
  readonly backoffMs: number;
  readonly environment?: string;
  /** In an order where every step comes after the steps it needs. */
  readonly steps: readonly ResolvedStep[];
}

const UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
export function bytesOf(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^(\d+(?:\.\d+)?)(\w*)$/.exec(q)!;
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

const DURATION: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
export function millisOf(d: string | number): number {
  if (typeof d === 'number') return d * 1000;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d)!;
  return Number(m[1]) * DURATION[m[2]!]!;
}

/** `${params.name}` in a command becomes the parameter's value; an unknown name is an error, not an empty string. */
function substitute(step: string, command: string, params: Record<string, string | number | boolean>): string {
  return command.replace(/\$\{params\.([\w.-]+)\}/g, (_, name: string) => {
    if (!(name in params)) throw invalid(`Step '${step}' uses \${params.${name}} but has no parameter '${name}'`);
    return String(params[name]);
  });
}

/** Normalised: no trailing slash, so `model/` and `model` name the same output. */
const norm = (p: string) => p.replace(/\/+$/, '');
/** `a` covers `a` and everything under `a/`. */
export const covers = (outer: string, inner: string) => inner === outer || inner.startsWith(`${outer}/`);

export function parsePipelineText(text: string, what = 'openexpert.pipeline.yaml'): PipelineFile {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (err) {
    throw invalid(`${what} is not valid YAML: ${(err as Error).message}`);
  }
  const result = PipelineFileSchema.safeParse(document ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw invalid(`Invalid ${what} at '${issue.path.map(String).join('.') || '(top)'}': ${issue.message}`);
  }
  return result.data;
}

/**
 * Resolves the environment's overrides and the step graph: unknown `needs`, two steps declaring the same output,
 * a step reading its own output and cycles are errors that name the steps.
 */
export function resolvePipeline(file: PipelineFile, environment?: string): Pipeline {
  if (environment !== undefined && !(environment in file.environments) && !Object.values(file.steps).some((s) => environment in s.environments)) {
    throw invalid(`Unknown environment '${environment}'; the pipeline defines ${Object.keys(file.environments).join(', ') || 'none'}`);
  }
  const producers = new Map<string, string>();
  for (const [name, step] of Object.entries(file.steps)) {
    for (const o of step.outputs) {
      const p = norm(typeof o === 'string' ? o : o.path);
      for (const [other, owner] of producers) {
        if (covers(other, p) || covers(p, other)) throw invalid(`Steps '${owner}' and '${name}' both declare output '${covers(other, p) ? other : p}'`);
      }
      producers.set(p, name);
    }
  }
  const producerOf = (input: string) => [...producers].find(([out]) => covers(out, input))?.[1];
  const global = environment ? file.environments[environment] : undefined;
  const steps = new Map<string, ResolvedStep>();
  for (const [name, step] of Object.entries(file.steps)) {
    const own = environment ? step.environments[environment] : undefined;
    // A pipeline-wide override sets a parameter only where a step declares it: a step that never uses `lr`
    // must not rerun (nor have its cache key change) because staging sets `lr`.
    const shared = Object.fromEntries(Object.entries(global?.params ?? {}).filter(([k]) => k in step.params));
    const params = { ...step.params, ...shared, ...(own?.params ?? {}) };
    const fileInputs = step.inputs.filter((i): i is string => typeof i === 'string').map(norm);
    const needs = new Set(step.needs);
    for (const n of step.needs) if (!(n in file.steps)) throw invalid(`Step '${name}' needs '${n}', which is not a step of the pipeline`);
    for (const input of fileInputs) {
      const producer = producerOf(input);
      if (producer === name) throw invalid(`Step '${name}' reads '${input}', which is its own output`);
      if (producer) needs.add(producer);
    }
    const resources = { ...file.defaults.resources, ...step.resources };
    const image = step.image ?? file.defaults.image;
    steps.set(name, {
      name,
      command: substitute(name, step.command, params),
      fileInputs,
      datasetInputs: step.inputs.filter((i): i is { dataset: string; path: string } => typeof i !== 'string').map((i) => ({ dataset: i.dataset, path: norm(i.path) })),
      code: step.code.map(norm),
      outputs: step.outputs.map((o) => (typeof o === 'string' ? { path: norm(o) } : { path: norm(o.path), ...(o.dataset ? { dataset: o.dataset } : {}) })),
      needs: [...needs].sort(),
      params,
      env: { ...step.env, ...(global?.env ?? {}), ...(own?.env ?? {}) },
      retries: step.retries ?? file.defaults.retries,
      ...(resources.timeout !== undefined ? { timeoutMs: millisOf(resources.timeout) } : {}),
      ...(resources.memory !== undefined ? { memoryBytes: bytesOf(resources.memory) } : {}),
      ...(resources.cpu !== undefined ? { cpu: String(resources.cpu) } : {}),
      ...(resources.gpu !== undefined ? { gpu: resources.gpu } : {}),
      ...(image ? { image } : {}),
    });
  }
  return {
    name: file.name,
    experiment: file.experiment ?? file.name,
    parallelism: file.parallelism,
    backoffMs: millisOf(file.defaults.backoff),
    ...(environment ? { environment } : {}),
    steps: topologicalOrder(steps),
  };
}

/** Kahn's algorithm, ties broken by name so the order is stable; what is left over lies on a cycle. */
function topologicalOrder(steps: ReadonlyMap<string, ResolvedStep>): ResolvedStep[] {
  const waiting = new Map([...steps.values()].map((s) => [s.name, s.needs.length]));
  const dependents = new Map<string, string[]>();
  for (const s of steps.values()) for (const n of s.needs) dependents.set(n, [...(dependents.get(n) ?? []), s.name]);
  const ready = [...waiting].filter(([, n]) => n === 0).map(([name]) => name).sort();
  const order: ResolvedStep[] = [];
  while (ready.length) {
    const name = ready.shift()!;
    order.push(steps.get(name)!);
    for (const d of dependents.get(name) ?? []) {
      const left = waiting.get(d)! - 1;
      waiting.set(d, left);
      if (left === 0) {
        ready.push(d);
        ready.sort();
      }
    }
  }
  if (order.length < steps.size) throw invalid(`The pipeline has a cycle: ${describeCycle(steps, new Set(order.map((s) => s.name)))}`);
  return order;
}

/** One cycle among the steps not ordered, as `a → b → a`. */
function describeCycle(steps: ReadonlyMap<string, ResolvedStep>, done: ReadonlySet<string>): string {
  let current = [...steps.keys()].filter((n) => !done.has(n)).sort()[0]!;
  const path: string[] = [];
  while (!path.includes(current)) {
    path.push(current);
    current = steps.get(current)!.needs.find((n) => !done.has(n))!;
  }
  return [...path.slice(path.indexOf(current)), current].join(' → ');
}
