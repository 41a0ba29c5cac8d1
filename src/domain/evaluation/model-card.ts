/**
 * Model cards (Mitchell et al., "Model Cards for Model Reporting", 2019) written from the evidence the
 * platform holds: the registry version, its source run (params, tags, datasets), its evaluations and
 * fairness audits, comparisons with other versions and its promotion history. The parts only a person
 * can write (intended use, ethical considerations, …) are stored apart and kept across regenerations.
 */
import { esc } from '../../core/html.js';
import { calibrationChart, fmt, groupBars, rocChart, STYLE } from './charts.js';
import { estimateText } from './report-html.js';
import type { ModelVersion, RegisteredModel, TransitionRecord } from '../registry/types.js';
import type { Run } from '../tracking/types.js';
import { globalRanking } from '../explain/ranking.js';
import type { Explanation } from '../explain/types.js';
import { SMALL_SAMPLE_NOTE } from './evaluate.js';
import { evaluateCommand } from './suggested-command.js';
import type { CardField, CardFields, CardFieldsRecord, Comparison, Evaluation } from './types.js';

export interface CardEvidence {
  readonly model: RegisteredModel;
  readonly version: ModelVersion;
  readonly run?: Run;
  readonly runProblem?: string;
  readonly evaluations: readonly Evaluation[];
  readonly comparisons: readonly Comparison[];
  readonly history: readonly TransitionRecord[];
  readonly human?: CardFieldsRecord;
  /** The version's newest explanation: what drives its predictions. */
  readonly explanation?: Explanation;
  readonly generatedAt: number;
}

export type Block =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'fields'; readonly rows: readonly (readonly [string, string])[] }
  | { readonly kind: 'table'; readonly columns: readonly string[]; readonly rows: readonly (readonly string[])[] }
  | { readonly kind: 'list'; readonly items: readonly string[] }
  | { readonly kind: 'human'; readonly field: CardField; readonly label: string; readonly text?: string }
  | { readonly kind: 'charts'; readonly evaluationId: string }
  | { readonly kind: 'warning'; readonly text: string };

export interface CardSection {
  readonly id: string;
  readonly title: string;
  readonly blocks: readonly Block[];
}

export interface ModelCard {
  readonly model: string;
  readonly version: number;
  readonly generatedAt: number;
  readonly sections: readonly CardSection[];
  readonly human: CardFields;
  readonly humanUpdatedAt?: number;
  readonly humanUpdatedBy?: string;
}

const human = (fields: CardFields, field: CardField, label: string): Block => ({ kind: 'human', field, label, ...(fields[field] ? { text: fields[field] } : {}) });
const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

/** The metrics an evaluation's spec names for the card's "metrics" section, with the definition used. */
const DEFINITIONS: Record<string, string> = {
  accuracy_score: 'share of rows predicted correctly',
  balanced_accuracy_score: 'mean recall over the classes present',
  precision_score: 'tp / (tp + fp) for the positive label',
  recall_score: 'tp / (tp + fn) for the positive label',
  f1_score: '2tp / (2tp + fp + fn)',
  roc_auc: 'area under the ROC curve, ties counted half (scikit-learn)',
  roc_auc_ovr_macro: 'mean one-vs-rest ROC AUC over classes',
  average_precision: 'Σ (Rₙ − Rₙ₋₁) Pₙ (scikit-learn), not the trapezoid',
  log_loss: 'mean negative log-likelihood, probabilities clipped at machine epsilon',
  brier_score_loss: 'mean squared error of the probabilities',
  expected_calibration_error: 'Σ (n_b/n)·|accuracy_b − confidence_b| over uniform probability bins',
  mean_absolute_error: 'mean |y − ŷ|',
  root_mean_squared_error: '√ mean (y − ŷ)²',
  r2_score: '1 − SS_res / SS_tot',
  mean_absolute_percentage_error: 'mean |y − ŷ| / max(|y|, ε), a fraction',
};

/** The slice metrics a card shows, in this order, of those an evaluation has. */
const SLICE_COLUMNS = ['accuracy_score', 'f1_score', 'f1_macro', 'roc_auc', 'roc_auc_ovr_macro', 'root_mean_squared_error', 'mean_absolute_error', 'r2_score'];

function headline(e: Evaluation): [string, string][] {
  return Object.entries(e.result.metrics).filter(([k]) => k !== 'example_count' && k !== 'query_count').map(([k, v]) => [k, estimateText(v)]);
}

/** The explanation's global importances, strongest first: TreeSHAP or Kernel SHAP mean |φ| beside permutation importance with its interval. */
function attributionBlocks(e: Explanation | undefined): Block[] {
  if (!e) return [{ kind: 'text', text: 'No explanation recorded yet (`openexpert explain <model>@<version> --data <file>`).' }];
  const r = e.result;
  const shap = r.treeShap ?? r.kernelShap;
  const shapName = r.treeShap ? 'TreeSHAP' : 'Kernel SHAP';
  const perm = new Map(r.permutation?.importances.map((i) => [i.feature, i]));
  const order = (globalRanking(e)?.features ?? []).map((f) => f.feature);
  const meanAbs = new Map(shap?.global.map((g) => [g.feature, g.meanAbs]));
  const columns = ['feature', ...(shap ? [`mean |${shapName}|`] : []), ...(r.permutation ? [`permutation importance (${r.permutation.metric}, ${Math.round(r.permutation.confidence * 100)}% CI)`] : [])];
  const rows = order.slice(0, 15).map((f) => {
    const p = perm.get(f);
    return [f, ...(shap ? [fmt(meanAbs.get(f)!)] : []), ...(r.permutation ? [p ? `${fmt(p.mean)} [${fmt(p.ci.lower)}, ${fmt(p.ci.upper)}]` : '—'] : [])];
  });
  const output = r.output.class !== undefined ? `P(class ${r.output.class}) from output '${r.output.name}'` : `output '${r.output.name}'`;
  return [
    { kind: 'text', text: `Explanation ${e.id} of ${output} on ${e.dataName} (${r.dataRows} rows; ${e.spec.methods.join(', ')}), ${time(e.createdAt)}.` },
    ...(rows.length ? [{ kind: 'table', columns, rows } as Block] : []),
    ...(r.notes.length ? [{ kind: 'list', items: r.notes } as Block] : []),
  ];
}

export function buildModelCard(ev: CardEvidence): ModelCard {
  const fields = ev.human?.fields ?? {};
  const v = ev.version;
  const run = ev.run;
  const evaluations = [...ev.evaluations];
  const params = run?.data.params ?? [];
  const details: [string, string][] = [
    ['name', v.name], ['version', String(v.version)], ['stage', v.currentStage],
    ['aliases', v.aliases.map((a) => `@${a}`).join(' ') || '—'],
    ['created', `${time(v.creationTime)}${v.userId ? ` by ${v.userId}` : ''}`],
    ['description', v.description || ev.model.description || '—'],
    ['source', v.source],
    ['run', run ? `${run.info.runName} (${run.info.runId}, experiment ${run.info.experimentId})` : (ev.runProblem ?? '—')],
    ['flavors', Object.keys(v.metadata?.flavors ?? {}).join(', ') || '—'],
    ...(v.metadata?.signature?.inputs ? [['signature inputs', v.metadata.signature.inputs] as [string, string]] : []),
    ...(v.metadata?.signature?.outputs ? [['signature outputs', v.metadata.signature.outputs] as [string, string]] : []),
    ...(run?.data.tags.find((t) => t.key === 'mlflow.source.git.commit') ? [['code commit', run.data.tags.find((t) => t.key === 'mlflow.source.git.commit')!.value] as [string, string]] : []),
  ];
  const factors = [...new Set(evaluations.flatMap((e) => {
    const spec = e.spec as { sensitive?: string[]; slices?: string[] };
    return [...(spec.sensitive ?? []).map((s) => `${s} (sensitive)`), ...(spec.slices ?? []).map((s) => `${s} (slice)`)];
  }))];
  const metricNames = [...new Set(evaluations.flatMap((e) => Object.keys(e.result.metrics)))].filter((m) => DEFINITIONS[m]);
  const trainingInputs = (run?.inputs ?? []).filter((i) => i.tags.find((t) => t.key === 'mlflow.data.context')?.value !== 'evaluation');
  const fairnessFindings = evaluations.flatMap((e) => (e.result.fairness?.attributes ?? []).flatMap((a) =>
    a.checks.filter((c) => c.passed === false).map((c) => `${e.name}: ${a.attribute}: ${c.detail} (${c.convention})`)));
  const caveats = [...new Set(evaluations.flatMap((e) => [...e.result.notes, ...(e.result.fairness?.attributes ?? []).flatMap((a) => a.notes)]))];
  const comparisons = ev.comparisons.map((c) => [
    c.baseline ? `${c.baseline.name} v${c.baseline.version}` : '—', c.dataset.name,
    c.result.deltas.map((d) => `${d.metric} ${estimateText(d.delta)}${d.pValue !== null ? ` (p ${fmt(d.pValue, 2)})` : ''}`).join('; '),
    c.result.mcnemar ? fmt(c.result.mcnemar.exactPValue, 3) : '—',
  ]);
  const quantitative: Block[] = evaluations.length === 0
    ? [{ kind: 'text', text: `No evaluation is linked to this version yet: run \`${evaluateCommand(ev.version)}\`.` }]
    : evaluations.flatMap((e): Block[] => [
      { kind: 'text', text: `Evaluation ${e.name} (${e.id}) on ${e.dataset.name}, ${e.result.rows} rows, ${time(e.createdAt)}${e.result.bootstrap ? `; ${e.result.bootstrap.confidence * 100}% bootstrap intervals` : ''}.` },
      ...e.result.notes.filter((n) => n.startsWith(SMALL_SAMPLE_NOTE)).map((text): Block => ({ kind: 'warning', text })),
      { kind: 'fields', rows: headline(e) },
      { kind: 'charts', evaluationId: e.id },
      // Every audited attribute, intersections (sex × race) included: those are where a model tends to fail.
      ...(e.result.fairness?.attributes ?? []).flatMap((a): Block[] => [
        { kind: 'text', text: `${a.columns.length > 1 ? 'Intersection' : 'Attribute'} ${a.columns.join(' × ')}: rates per group${a.checks.length ? '' : ' (reported, not gated)'}.` },
        {
          kind: 'table',
          columns: ['group', 'rows', 'selection rate', 'TPR', 'FPR'],
          rows: a.groups.map((g) => [`${a.columns.join(' × ')} = ${g.group.replace(/&/g, ' × ')}${g.privileged ? ' (privileged)' : ''}`, String(g.count), estimateText(g.metrics.selection_rate), estimateText(g.metrics.true_positive_rate), estimateText(g.metrics.false_positive_rate)]),
        },
        ...(a.aif360ByGroup?.length ? [{
          kind: 'table', columns: ['unprivileged group vs privileged', 'rows', 'disparate impact', 'statistical parity difference', 'equal opportunity difference', 'average odds difference'],
          rows: a.aif360ByGroup.map((g) => [g.group.replace(/&/g, ' × '), String(g.count), estimateText(g.metrics.disparate_impact), estimateText(g.metrics.statistical_parity_difference), estimateText(g.metrics.equal_opportunity_difference), estimateText(g.metrics.average_odds_difference)]),
        } as Block] : []),
      ]),
      ...e.result.slices.filter((sl) => sl.groups.length > 0).map((sl): Block => {
        const shown = Object.keys(sl.groups[0]!.metrics).filter((m) => SLICE_COLUMNS.includes(m)).slice(0, 4);
        return {
          kind: 'table',
          columns: [sl.columns.join(' × '), 'rows', ...shown],
          rows: sl.groups.map((g) => [g.label.replace(/&/g, ' × '), String(g.count), ...shown.map((m) => estimateText(g.metrics[m]))]),
        };
      }),
      ...(e.result.fairness ? [{
        kind: 'table', columns: ['attribute', 'check', 'convention', 'result'],
        rows: e.result.fairness.attributes.flatMap((a) => a.checks.map((c) => [a.attribute, c.detail, c.convention, c.passed === null ? 'undecided' : c.passed ? 'pass' : 'FAIL'])),
      } as Block] : []),
    ]);
  const sections: CardSection[] = [
    { id: 'model_details', title: 'Model details', blocks: [{ kind: 'fields', rows: details }, human(fields, 'overview', 'Overview'), human(fields, 'owners', 'Owners'), human(fields, 'license', 'License'), human(fields, 'citation', 'Citation'), human(fields, 'contact', 'Contact')] },
    { id: 'intended_use', title: 'Intended use', blocks: [human(fields, 'primaryUses', 'Primary intended uses'), human(fields, 'primaryUsers', 'Primary intended users'), human(fields, 'outOfScopeUses', 'Out-of-scope uses')] },
    {
      id: 'factors', title: 'Factors',
      blocks: [
        { kind: 'text', text: factors.length ? 'Evaluated per group of:' : 'No slice or sensitive attribute has been evaluated.' },
        ...(factors.length ? [{ kind: 'list', items: factors } as Block] : []),
        human(fields, 'relevantFactors', 'Relevant factors'), human(fields, 'evaluationFactors', 'Evaluation factors'),
      ],
    },
    {
      id: 'metrics', title: 'Metrics',
      blocks: metricNames.length
        ? [{ kind: 'table', columns: ['metric', 'definition'], rows: metricNames.map((m) => [m, DEFINITIONS[m]!]) },
          { kind: 'text', text: [...new Set(evaluations.map((e) => e.result.threshold).filter((t) => t !== undefined))].map((t) => `Decision threshold: score ≥ ${t}.`).join(' ') || 'Intervals are percentile bootstrap intervals where given.' }]
        : [{ kind: 'text', text: 'No metrics recorded yet.' }],
    },
    {
      id: 'evaluation_data', title: 'Evaluation data',
      blocks: [
        ...(evaluations.length
          ? [{ kind: 'table', columns: ['dataset', 'rows', 'sha256', 'source'], rows: [...new Map(evaluations.map((e) => [e.dataset.digest, [e.dataset.name, String(e.dataset.rows), e.dataset.digest.slice(0, 16), e.dataset.source]])).values()] } as Block]
          : [{ kind: 'text', text: 'No evaluation data recorded.' } as Block]),
        human(fields, 'evaluationData', 'Notes on the evaluation data'),
      ],
    },
    {
      id: 'training_data', title: 'Training data',
      blocks: [
        ...(trainingInputs.length
          ? [{ kind: 'table', columns: ['dataset', 'digest', 'context', 'source'], rows: trainingInputs.map((i) => [i.dataset.name, i.dataset.digest, i.tags.find((t) => t.key === 'mlflow.data.context')?.value ?? '—', i.dataset.source]) } as Block]
          : [{ kind: 'text', text: run ? 'The source run records no training datasets.' : 'No source run.' } as Block]),
        ...(params.length ? [{ kind: 'fields', rows: params.map((p) => [`param ${p.key}`, p.value] as [string, string]) } as Block] : []),
        human(fields, 'trainingData', 'Notes on the training data'),
      ],
    },
    {
      id: 'quantitative_analyses', title: 'Quantitative analyses',
      blocks: [
        ...quantitative,
        ...(comparisons.length ? [{ kind: 'table', columns: ['compared with', 'dataset', 'deltas (candidate − baseline)', "McNemar p"], rows: comparisons } as Block] : []),
        ...(ev.history.length ? [{ kind: 'table', columns: ['time', 'move', 'by', 'checks'], rows: ev.history.map((h) => [time(h.time), h.toStage ? `${h.fromStage ?? '?'} → ${h.toStage}` : h.target.kind === 'alias' ? `@${h.target.alias}` : h.target.stage, h.actor, h.checks.map((c) => `${c.passed ? '✓' : '✗'} ${c.name}`).join('; ') || '—']) } as Block] : []),
      ],
    },
    { id: 'feature_attributions', title: 'Feature attributions', blocks: attributionBlocks(ev.explanation) },
    {
      id: 'ethical_considerations', title: 'Ethical considerations',
      blocks: [
        ...(fairnessFindings.length ? [{ kind: 'text', text: 'Fairness checks that failed:' } as Block, { kind: 'list', items: fairnessFindings } as Block] : []),
        human(fields, 'ethicalConsiderations', 'Ethical considerations'),
      ],
    },
    { id: 'caveats', title: 'Caveats and recommendations', blocks: [...(caveats.length ? [{ kind: 'list', items: caveats } as Block] : []), human(fields, 'caveatsAndRecommendations', 'Caveats and recommendations')] },
  ];
  return {
    model: v.name, version: v.version, generatedAt: ev.generatedAt, sections, human: fields,
    ...(ev.human ? { humanUpdatedAt: ev.human.updatedAt, humanUpdatedBy: ev.human.updatedBy } : {}),
  };
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const NOT_WRITTEN = (field: CardField) => `_Not written yet (field \`${field}\`)._`;

export function renderCardMarkdown(card: ModelCard): string {
  const out = [`# Model card: ${card.model} version ${card.version}`, '', `_Generated ${time(card.generatedAt)} from the registry, runs and evaluations. Sections marked ✍ are written by people and kept across regenerations._`, ''];
  for (const s of card.sections) {
    out.push(`## ${s.title}`, '');
    for (const b of s.blocks) {
      switch (b.kind) {
        case 'text': out.push(b.text, ''); break;
        case 'fields': out.push('| | |', '|---|---|', ...b.rows.map(([k, v]) => `| ${mdCell(k)} | ${mdCell(v)} |`), ''); break;
        case 'table': out.push(`| ${b.columns.map(mdCell).join(' | ')} |`, `|${b.columns.map(() => '---').join('|')}|`, ...b.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`), ''); break;
        case 'list': out.push(...b.items.map((i) => `- ${i}`), ''); break;
        case 'human': out.push(`**✍ ${b.label}:** ${b.text ?? NOT_WRITTEN(b.field)}`, ''); break;
        case 'charts': break;
        case 'warning': out.push(`> ⚠ ${b.text}`, ''); break;
      }
    }
  }
  return out.join('\n');
}

export function renderCardHtml(card: ModelCard, evaluations: readonly Evaluation[]): string {
  const byId = new Map(evaluations.map((e) => [e.id, e]));
  const block = (b: Block): string => {
    switch (b.kind) {
      case 'text': return `<p>${esc(b.text)}</p>`;
      case 'fields': return `<table>${b.rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
      case 'table': return `<table><tr>${b.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${b.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
      case 'list': return `<ul>${b.items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
      case 'warning': return `<p class="warning" role="note">⚠ ${esc(b.text)}</p>`;
      case 'human': return `<div class="human"><strong>✍ ${esc(b.label)}:</strong> ${b.text ? esc(b.text).replace(/\n/g, '<br>') : `<span class="na">not written yet (field <code>${b.field}</code>)</span>`}</div>`;
      case 'charts': {
        const e = byId.get(b.evaluationId);
        if (!e) return '';
        const r = e.result;
        const charts = [
          ...(r.curves?.roc ? [rocChart(r.curves.roc, `ROC curve, ${e.name}`)] : []),
          ...(r.curves?.calibration?.length ? [calibrationChart(r.curves.calibration, `calibration curve, ${e.name}`)] : []),
          ...(r.fairness?.attributes ?? [])
            .map((a) => groupBars(`selection rate by ${a.columns.join(' × ')}, ${e.name}`, a.groups.map((g) => ({ label: g.group.replace(/&/g, ' × '), estimate: g.metrics.selection_rate! })))),
        ];
        return charts.length ? `<div class="charts">${charts.join('')}</div>` : '';
      }
    }
  };
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(`Model card: ${card.model} v${card.version}`)}</title><style>${STYLE}</style></head><body>`
    + `<h1>Model card: ${esc(card.model)} version ${card.version}</h1><p class="note">Generated ${esc(time(card.generatedAt))} from the registry, runs and evaluations. Sections marked ✍ are written by people and kept across regenerations.</p>`
    + card.sections.map((s) => `<h2 id="${s.id}">${esc(s.title)}</h2>${s.blocks.map(block).join('')}`).join('')
    + '</body></html>';
}
