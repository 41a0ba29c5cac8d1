import { candidateWeight } from './router.js';
import type { Deployment, DeploymentEvent, ServedVersion } from './types.js';

const describe = (v: ServedVersion) => {
  switch (v.runtime.kind) {
    case 'onnx': return `version ${v.version} (onnxruntime, supervised process)`;
    case 'python': return `version ${v.version} (Python scoring process${v.runtime.command ? `: ${v.runtime.command}` : ''})`;
    case 'external': return `version ${v.version} (external ${v.runtime.protocol} server ${v.runtime.url})`;
  }
};
const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';

/**
 * The rollback runbook of a deployment, as Markdown: what is live now, what a rollback returns to,
 * and the exact commands, so whoever is on call does not have to work it out during an incident.
 */
export function renderRunbook(d: Deployment, recent: readonly DeploymentEvent[], serverUrl: string): string {
  const r = d.rollout;
  const lines: string[] = [`# Runbook: deployment \`${d.name}\``, ''];
  lines.push(`Model \`${d.modelName}\`, served versions must hold \`${d.target}\` in the registry.`, '', '## What is live', '');
  if (r) {
    const weight = candidateWeight(d);
    const served = r.strategy === 'shadow' ? 0 : weight;
    lines.push(`- Stable: ${describe(d.stable)}, ${100 - served}% of traffic`);
    lines.push(`- Candidate: ${describe(r.candidate)}, ${r.strategy === 'shadow' ? `${weight}% mirrored (shadow; its answers are never returned)` : `${served}% of traffic`}`);
    lines.push(`- Rollout: ${r.strategy}, step ${r.stepIndex + 1} of ${r.steps.length} (${r.steps.join(' → ')}%), ${r.phase}, ${Math.round(r.intervalMs / 1000)} s per step, started ${when(r.startedAt)} by ${r.startedBy}`);
    const a = r.analysis;
    lines.push(`- Automatic rollback when: candidate error rate exceeds the baseline's by more than ${(a.maxErrorRateIncrease * 100).toFixed(1)} points` +
      `${a.maxErrorRate !== undefined ? ` or exceeds ${(a.maxErrorRate * 100).toFixed(1)}%` : ''}; p99 latency above ${a.maxLatencyRatio}× the baseline's + ${a.latencySlackMs} ms` +
      `${a.maxP99Ms !== undefined ? ` or above ${a.maxP99Ms} ms` : ''}${a.figures.map((f) => `; ${f.name} worse than the baseline's beyond its limit`).join('')}`);
  } else {
    lines.push(`- Stable: ${describe(d.stable)}, 100% of traffic`, '- No rollout in progress.');
  }
  lines.push('', '## Roll back', '');
  const rollbackTarget = r ? d.stable : d.previous;
  if (rollbackTarget) {
    lines.push(`Rolling back sends all traffic to ${describe(rollbackTarget)}${r ? ` and drops candidate version ${r.candidate.version}` : ''}.`, '');
    lines.push('```sh', `openexpert deployments rollback ${d.name} --reason "<why>" --url ${serverUrl}`, '# or, without the CLI:', `curl -X POST ${serverUrl}/api/v1/deployments/${d.name}/rollback -H 'content-type: application/json' -d '{"reason":"<why>"}'`, '```');
  } else {
    lines.push('Nothing to roll back to: no rollout is in progress and no earlier version was promoted here.');
    lines.push(`To serve another version, start a rollout: \`openexpert deploy ${d.modelName} --name ${d.name} --version <n> --strategy blue-green\`.`);
  }
  if (r) {
    lines.push('', 'To stop a rollout without calling it a failure: `openexpert deployments abort ' + d.name + '`; to hold it where it is: `openexpert deployments pause ' + d.name + '`.');
  }
  lines.push('', '## Check', '', '```sh', `openexpert deployments status ${d.name} --url ${serverUrl}`, `curl ${serverUrl}/v2/models/${d.name}/ready`, `curl -s ${serverUrl}/metrics | grep 'deployment="${d.name}"'`, '```');
  if (recent.length > 0) {
    lines.push('', '## Recent events', '');
    for (const e of recent) {
      const versions = e.fromVersion || e.toVersion ? ` ${e.fromVersion ?? '–'} → ${e.toVersion ?? '–'}` : '';
      lines.push(`- ${when(e.time)} ${e.kind}${versions} by ${e.actor}${e.reason ? `: ${e.reason}` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}
