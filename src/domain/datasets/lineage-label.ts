import type { LineageNode } from './types.js';

/** What the lineage store knows about nodes other modules own, to name them as people do. */
export interface NodeFacts {
  readonly datasetVersions: ReadonlyMap<string, { readonly name: string; readonly version: number }>;
  readonly runNames: ReadonlyMap<string, string>;
  readonly loggedModelNames: ReadonlyMap<string, string>;
  readonly validations: ReadonlyMap<string, { readonly suite: string; readonly suiteVersion: number; readonly success: boolean }>;
}

const short = (id: string) => (id.length > 12 ? `${id.slice(0, 6)}…` : id);

/**
 * A node as people name it: `wine@3`, `run baseline (51456f…)`, `churn v2`, `model clf (m-4b1c…)`,
 * `validation churn@1 passed`, `deployment churn-api`; a kind the platform does not know is `kind id`.
 */
export function nodeLabel(n: LineageNode, facts: NodeFacts): string {
  switch (n.kind) {
    case 'dataset_version': {
      const v = facts.datasetVersions.get(n.id);
      return v ? `${v.name}@${v.version}` : `dataset version ${short(n.id)}`;
    }
    case 'run': {
      const name = facts.runNames.get(n.id);
      return name ? `run ${name} (${short(n.id)})` : `run ${short(n.id)}`;
    }
    case 'model_version': {
      const slash = n.id.lastIndexOf('/');
      return slash > 0 ? `${n.id.slice(0, slash)} v${n.id.slice(slash + 1)}` : `model version ${n.id}`;
    }
    case 'logged_model': {
      const name = facts.loggedModelNames.get(n.id);
      return name ? `model ${name} (${short(n.id)})` : `model ${short(n.id)}`;
    }
    case 'validation': {
      const v = facts.validations.get(n.id);
      return v ? `validation ${v.suite}@${v.suiteVersion} ${v.success ? 'passed' : 'failed'}` : `validation ${short(n.id)}`;
    }
    default:
      return `${n.kind.replace(/_/g, ' ')} ${n.id}`;
  }
}
