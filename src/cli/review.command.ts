import fs from 'node:fs';
import type { Command } from 'commander';
import { invalid } from '../core/errors.js';
import type { ExportResult } from '../domain/review/review.service.js';
import type { Agreement, QueueStats, ReviewItem, ReviewQueue } from '../domain/review/types.js';
import { common, registryApi, type Common } from './models.command.js';
import { formatTime, printJson, printTable } from './output.js';

const enc = encodeURIComponent;
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
const num = (v: string | undefined, flag: string) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw invalid(`${flag} '${v}' is not a number`);
  return n;
};
const fmt = (v: number | null) => (v === null ? 'undefined' : String(Number(v.toFixed(3))));
const short = (v: unknown) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
};

interface CreateOptions extends Common {
  scope: string; target?: string; project?: string; labels: string; description?: string; instructions?: string; rule?: string;
  lowConfidence?: string; confidenceOutput?: string; sampleRate?: string; reviewers?: string; overlap?: string; reviewersPerItem?: string;
}

function printQueue(queue: ReviewQueue, stats: QueueStats): void {
  const s = queue.spec;
  const triggers = [s.rule !== undefined ? `rule ${s.rule}` : '', s.lowConfidence ? `confidence < ${s.lowConfidence.threshold}` : '', s.sampleRate !== undefined ? `sample ${s.sampleRate}` : ''].filter(Boolean);
  console.log(`queue ${queue.name} (${queue.scope}${queue.target !== undefined ? ` ${queue.target}` : ''}, project ${queue.project}): labels ${s.labels.join(', ')}`);
  console.log(`takes: ${triggers.length > 0 ? triggers.join(' or ') : queue.scope === 'project' ? 'pushed items' : 'everything'}`);
  if (s.reviewers.length > 0) console.log(`reviewers: ${s.reviewers.join(', ')}; ${Math.round(s.overlap * 100)}% of items to ${s.reviewersPerItem} of them`);
  console.log(`items ${stats.items}, labelled ${stats.labelled}, complete ${stats.complete}; ${Object.entries(stats.labelCounts).map(([l, n]) => `${l} ${n}`).join(', ')}`);
  if (stats.reviewers.length > 0) {
    printTable(stats.reviewers, [{ header: 'reviewer', value: (r) => r.reviewer }, { header: 'assigned', value: (r) => r.assigned }, { header: 'labelled', value: (r) => r.labelled }]);
  }
}

function printAgreement(a: Agreement): void {
  console.log(`${a.items} items labelled by two or more of ${a.reviewers.length} reviewers; observed agreement ${fmt(a.observed)}`);
  console.log(`Fleiss' kappa ${fmt(a.fleiss.kappa)} (${a.fleiss.interpretation}), chance agreement ${fmt(a.fleiss.expected)}`);
  if (a.pairs.length > 0) {
    printTable(a.pairs, [
      { header: 'reviewers', value: (p) => p.reviewers.join(' & ') }, { header: 'items', value: (p) => p.items },
      { header: 'agreement', value: (p) => fmt(p.observed) }, { header: "Cohen's kappa", value: (p) => fmt(p.kappa) },
    ]);
  }
}

/** A JSONL line: `id`, `predicted` and `confidence` are the item's own; every other key is a field. */
function pushedItem(line: string, n: number): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw invalid(`line ${n}: not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid(`line ${n}: expected an object`);
  const { id, predicted, confidence, ...fields } = parsed as Record<string, unknown>;
  return { ...(id !== undefined ? { id: String(id) } : {}), ...(predicted !== undefined ? { predicted: String(predicted) } : {}), ...(confidence !== undefined ? { confidence } : {}), fields };
}

export function registerReviewCommand(program: Command): void {
  const group = program.command('review').description('Human review queues: predictions and LLM outputs labelled by reviewers, agreement, export to datasets');
  const Q = '/api/v1/review/queues';

  common(group.command('create <name>').description('Create a review queue'))
    .requiredOption('--scope <scope>', 'deployment, model, llm (a project\'s traces) or project (pushed items only)')
    .option('--target <name>', 'the deployment, the registered model, or the traces\' project')
    .requiredOption('--labels <list>', 'the labels reviewers choose from, comma-separated (keys 1-9 in the UI)')
    .option('--project <name>', 'the project the queue belongs to (default: default)')
    .option('--description <text>', 'what the queue is for')
    .option('--instructions <text>', 'what reviewers should look for')
    .option('--rule <filter>', "take items matching a filter over their fields, e.g. \"amount > 1000 and country IN ('FR')\"")
    .option('--low-confidence <p>', 'take predictions whose top class probability is below p')
    .option('--confidence-output <name>', 'the model output holding the probabilities (default: found by name or shape)')
    .option('--sample-rate <f>', 'take this fraction of predictions or traces')
    .option('--reviewers <list>', 'the reviewers items are assigned to, comma-separated')
    .option('--overlap <f>', 'fraction of items given to several reviewers, for agreement (default 0)')
    .option('--reviewers-per-item <n>', 'reviewers of an overlapping item (default 2)')
    .action(async (name: string, opts: CreateOptions) => {
      const low = num(opts.lowConfidence, '--low-confidence');
      const body = {
        name, scope: opts.scope, labels: list(opts.labels),
        ...(opts.target !== undefined ? { target: opts.target } : {}), ...(opts.project !== undefined ? { project: opts.project } : {}),
        ...(opts.description !== undefined ? { description: opts.description } : {}), ...(opts.instructions !== undefined ? { instructions: opts.instructions } : {}),
        ...(opts.rule !== undefined ? { rule: opts.rule } : {}),
        ...(low !== undefined ? { lowConfidence: { threshold: low, ...(opts.confidenceOutput ? { output: opts.confidenceOutput } : {}) } } : {}),
        ...(opts.sampleRate !== undefined ? { sampleRate: num(opts.sampleRate, '--sample-rate') } : {}),
        ...(opts.reviewers !== undefined ? { reviewers: list(opts.reviewers) } : {}),
        ...(opts.overlap !== undefined ? { overlap: num(opts.overlap, '--overlap') } : {}),
        ...(opts.reviewersPerItem !== undefined ? { reviewersPerItem: num(opts.reviewersPerItem, '--reviewers-per-item') } : {}),
      };
      const queue = await registryApi(opts)<ReviewQueue>('POST', Q, { body });
      if (opts.json) return printJson(queue);
      console.log(`created review queue ${queue.name} (${queue.scope}${queue.target !== undefined ? ` ${queue.target}` : ''})`);
    });

  common(group.command('update <name>').description("Change a queue's settings (triggers and assignment apply to items added from then on; labels only while nothing is labelled)"))
    .option('--description <text>', 'what the queue is for')
    .option('--instructions <text>', 'what reviewers should look for')
    .option('--labels <list>', 'the labels reviewers choose from, comma-separated (refused once an item is labelled)')
    .option('--rule <filter>', 'take items matching this filter over their fields')
    .option('--no-rule', 'remove the rule')
    .option('--low-confidence <p>', 'take predictions whose top class probability is below p')
    .option('--confidence-output <name>', 'the model output holding the probabilities (with --low-confidence)')
    .option('--no-low-confidence', 'remove the low-confidence trigger')
    .option('--sample-rate <f>', 'take this fraction of predictions or traces')
    .option('--no-sample-rate', 'remove sampling')
    .option('--reviewers <list>', 'the reviewers items are assigned to, comma-separated (empty: anyone)')
    .option('--overlap <f>', 'fraction of items given to several reviewers')
    .option('--reviewers-per-item <n>', 'reviewers of an overlapping item')
    .action(async (name: string, opts: Common & {
      description?: string; instructions?: string; labels?: string; rule?: string | false; lowConfidence?: string | false; confidenceOutput?: string;
      sampleRate?: string | false; reviewers?: string; overlap?: string; reviewersPerItem?: string;
    }) => {
      const low = opts.lowConfidence === false ? null : num(opts.lowConfidence, '--low-confidence');
      const body = {
        ...(opts.description !== undefined ? { description: opts.description } : {}), ...(opts.instructions !== undefined ? { instructions: opts.instructions } : {}),
        ...(opts.labels !== undefined ? { labels: list(opts.labels) } : {}),
        ...(opts.rule !== undefined ? { rule: opts.rule === false ? null : opts.rule } : {}),
        ...(low !== undefined ? { lowConfidence: low === null ? null : { threshold: low, ...(opts.confidenceOutput ? { output: opts.confidenceOutput } : {}) } } : {}),
        ...(opts.sampleRate !== undefined ? { sampleRate: opts.sampleRate === false ? null : num(opts.sampleRate, '--sample-rate') } : {}),
        ...(opts.reviewers !== undefined ? { reviewers: list(opts.reviewers) } : {}),
        ...(opts.overlap !== undefined ? { overlap: num(opts.overlap, '--overlap') } : {}),
        ...(opts.reviewersPerItem !== undefined ? { reviewersPerItem: num(opts.reviewersPerItem, '--reviewers-per-item') } : {}),
      };
      const queue = await registryApi(opts)<ReviewQueue>('PATCH', `${Q}/${enc(name)}`, { body });
      if (opts.json) return printJson(queue);
      console.log(`updated review queue ${queue.name}: labels ${queue.spec.labels.join(', ')}`);
    });

  common(group.command('list').description('The review queues you may read'))
    .option('--project <name>', 'in this project')
    .action(async (opts: Common & { project?: string }) => {
      const page = await registryApi(opts)<{ items: ReviewQueue[] }>('GET', `${Q}${opts.project ? `?project=${enc(opts.project)}` : ''}`);
      if (opts.json) return printJson(page);
      printTable(page.items, [
        { header: 'name', value: (q) => q.name }, { header: 'scope', value: (q) => q.scope }, { header: 'target', value: (q) => q.target ?? '' },
        { header: 'labels', value: (q) => q.spec.labels.join(',') }, { header: 'created', value: (q) => formatTime(q.createdAt) },
      ]);
    });

  common(group.command('show <name>').description('A queue, its progress and its reviewers'))
    .action(async (name: string, opts: Common) => {
      const detail = await registryApi(opts)<{ queue: ReviewQueue; stats: QueueStats }>('GET', `${Q}/${enc(name)}`);
      if (opts.json) return printJson(detail);
      printQueue(detail.queue, detail.stats);
    });

  common(group.command('pull <name>').description("Add the predictions or traces logged since the last pull that the queue's triggers take"))
    .option('--limit <n>', 'read at most this many per deployment (default 1000)')
    .action(async (name: string, opts: Common & { limit?: string }) => {
      const r = await registryApi(opts)<{ scanned: number; added: number; reasons: Record<string, number> }>('POST', `${Q}/${enc(name)}/pull`, {
        body: opts.limit !== undefined ? { limit: num(opts.limit, '--limit') } : {},
      });
      if (opts.json) return printJson(r);
      const why = Object.entries(r.reasons).map(([k, n]) => `${n} ${k.replace('_', ' ')}`).join(', ');
      console.log(`scanned ${r.scanned}, added ${r.added}${why ? ` (${why})` : ''}`);
    });

  common(group.command('push <name>').description('Push items from a JSONL file: one object per line; id, predicted and confidence are kept apart, the rest are fields'))
    .requiredOption('--file <path>', 'the JSONL file')
    .action(async (name: string, opts: Common & { file: string }) => {
      const items = fs.readFileSync(opts.file, 'utf8').split('\n').map((l, i) => [l.trim(), i + 1] as const).filter(([l]) => l !== '').map(([l, n]) => pushedItem(l, n));
      const r = await registryApi(opts)<{ added: number }>('POST', `${Q}/${enc(name)}/items`, { body: { items } });
      if (opts.json) return printJson(r);
      console.log(`pushed ${items.length}, added ${r.added}`);
    });

  common(group.command('items <name>').description("A queue's items: all, labelled, or what a reviewer still has to label"))
    .option('--status <status>', 'todo (yours to label), labelled or all (default all)')
    .option('--reviewer <name>', 'whose todo list (default: you)')
    .action(async (name: string, opts: Common & { status?: string; reviewer?: string }) => {
      const query = new URLSearchParams({ ...(opts.status ? { status: opts.status } : {}), ...(opts.reviewer ? { reviewer: opts.reviewer } : {}), maxResults: '1000' });
      const page = await registryApi(opts)<{ items: ReviewItem[] }>('GET', `${Q}/${enc(name)}/items?${query}`);
      if (opts.json) return printJson(page);
      printTable(page.items, [
        { header: 'id', value: (i) => i.id }, { header: 'reason', value: (i) => i.reason },
        { header: 'fields', value: (i) => short(Object.entries(i.fields).map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : short(v)}`).join(' ')) },
        { header: 'predicted', value: (i) => i.predicted ?? '' }, { header: 'confidence', value: (i) => (i.confidence !== undefined ? fmt(i.confidence) : '') },
        { header: 'assigned', value: (i) => i.assigned.join(',') }, { header: 'labels', value: (i) => i.labels.map((l) => `${l.reviewer}:${l.label}`).join(' ') },
      ]);
    });

  common(group.command('label <name> <item> <label>').description('Label an item (again to change your label)'))
    .option('--comment <text>', 'why')
    .action(async (name: string, item: string, label: string, opts: Common & { comment?: string }) => {
      const r = await registryApi(opts)<ReviewItem>('PUT', `${Q}/${enc(name)}/items/${enc(item)}/label`, { body: { label, ...(opts.comment ? { comment: opts.comment } : {}) } });
      if (opts.json) return printJson(r);
      console.log(`labelled ${item}: ${r.labels.map((l) => `${l.reviewer}:${l.label}`).join(' ')}`);
    });

  common(group.command('agreement <name>').description("Agreement between reviewers: Fleiss' kappa and Cohen's kappa per pair"))
    .action(async (name: string, opts: Common) => {
      const a = await registryApi(opts)<Agreement>('GET', `${Q}/${enc(name)}/agreement`);
      if (opts.json) return printJson(a);
      printAgreement(a);
    });

  common(group.command('export <name>').description('Labelled items (majority label) as a new dataset version, with lineage'))
    .requiredOption('--dataset <name>', 'the dataset to add a version to')
    .option('--min-labels <n>', 'only items with at least this many labels (default 1)')
    .action(async (name: string, opts: Common & { dataset: string; minLabels?: string }) => {
      const r = await registryApi(opts)<ExportResult>('POST', `${Q}/${enc(name)}/export`, {
        body: { dataset: opts.dataset, ...(opts.minLabels !== undefined ? { minLabels: num(opts.minLabels, '--min-labels') } : {}) },
      });
      if (opts.json) return printJson(r);
      console.log(`exported ${r.rows} items to ${r.dataset.name}@${r.dataset.version}; left out ${r.skipped.unlabelled} unlabelled, ${r.skipped.tooFewLabels} with too few labels, ${r.skipped.ties} ties`);
    });

  common(group.command('delete <name>').description('Delete a queue with its items and labels'))
    .action(async (name: string, opts: Common) => {
      await registryApi(opts)('DELETE', `${Q}/${enc(name)}`);
      if (!opts.json) console.log(`deleted review queue ${name}`);
    });
}
