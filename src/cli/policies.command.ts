import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { invalid } from '../core/errors.js';
import type { PolicyView } from '../domain/registry/promotion.service.js';
import type { CheckSpec } from '../domain/registry/policy.js';
import { common, registryApi, type Common } from './models.command.js';
import { printJson, printTable } from './output.js';

const enc = encodeURIComponent;

/** A check's settings in one line, e.g. `metric=accuracy op=>= value=0.9`. */
const settings = (c: CheckSpec) =>
  Object.entries(c).filter(([k]) => k !== 'type' && k !== 'name').map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');

function printPolicy(view: PolicyView): void {
  console.log(`${view.name}: ${view.policy ? 'own policy (targets it does not name follow the server default)' : 'server default policy'}`);
  console.log();
  const rows = Object.entries(view.effective).flatMap(([target, checks]) =>
    checks.length === 0 ? [{ target, type: '(none)', settings: 'moves freely' }] : checks.map((c) => ({ target, type: c.type, settings: settings(c) })),
  );
  printTable(rows, [
    { header: 'TARGET', value: (r) => r.target },
    { header: 'CHECK', value: (r) => r.type },
    { header: 'SETTINGS', value: (r) => r.settings },
  ]);
}

export function registerPoliciesCommand(program: Command): void {
  const policies = program.command('policies').description('Promotion policies: which checks a version must pass to reach a stage or alias');

  common(policies.command('show <name>').description('Show the checks that apply to each target of a model'))
    .action(async (name: string, opts: Common) => {
      const view = await registryApi(opts)<PolicyView>('GET', `/api/v1/models/${enc(name)}/policy`);
      if (opts.json) return printJson(view);
      printPolicy(view);
    });

  common(policies.command('set <name>').description("Set a model's policy from a YAML or JSON file"))
    .requiredOption('-f, --file <file>', 'policy document: {stages: {Production: {checks: [...]}}, aliases: {champion: {checks: [...]}}}')
    .action(async (name: string, opts: Common & { file: string }) => {
      let document: unknown;
      try {
        document = parseYaml(readFileSync(opts.file, 'utf8'));
      } catch (err) {
        throw invalid(`Cannot read policy file '${opts.file}': ${(err as Error).message}`);
      }
      const view = await registryApi(opts)<PolicyView>('PUT', `/api/v1/models/${enc(name)}/policy`, { body: document });
      if (opts.json) return printJson(view);
      printPolicy(view);
    });
}
