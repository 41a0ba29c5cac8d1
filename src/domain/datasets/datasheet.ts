import { DATASHEET_SECTIONS, type Datasheet, type DatasheetSection, type DatasetVersion, type LineageGraph, type SchemaDifference } from './types.js';

/** What the platform itself knows about a dataset, for the sections nobody has written yet. */
export interface DatasheetFacts {
  readonly name: string;
  /** Newest first. */
  readonly versions: readonly DatasetVersion[];
  /** Upstream of the newest version, one hop: where it came from. */
  readonly sources: LineageGraph;
  /** Downstream of the newest version: the runs and models that used it. */
  readonly uses: LineageGraph;
  readonly latestValidation: { readonly suite: string; readonly success: boolean; readonly at: number } | undefined;
}

const TITLES: Record<DatasheetSection, string> = {
  motivation: 'Motivation', composition: 'Composition', collection: 'Collection process', preprocessing: 'Preprocessing, cleaning, labeling',
  uses: 'Uses', distribution: 'Distribution', maintenance: 'Maintenance',
};

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v).replace(/\|/g, '\\|'));
const table = (header: readonly string[], rows: readonly (readonly unknown[])[]) =>
  [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');

const schemaDifference = (d: SchemaDifference) => [
  `\`${d.column}\``,
  ...(d.missingFrom.length ? [`missing from ${d.missingFrom.map((p) => `\`${p}\``).join(', ')}`] : []),
  ...(Object.keys(d.types).length > 1 ? [Object.entries(d.types).map(([type, files]) => `${type} in ${files.map((p) => `\`${p}\``).join(', ')}`).join(', ')] : []),
].join(' ');

function drafts(f: DatasheetFacts): Record<DatasheetSection, string> {
  const latest = f.versions[0];
  const first = f.versions[f.versions.length - 1];
  const nodes = (g: LineageGraph, kind: string) => g.nodes.filter((n) => n.depth > 0 && n.kind === kind).map((n) => n.label ?? n.id);
  const sources = f.sources.edges.filter((e) => e.relation === 'derived_from').map((e) => e.from.id);
  const producers = nodes(f.sources, 'run');
  const runs = nodes(f.uses, 'run');
  const models = nodes(f.uses, 'model_version');
  return {
    motivation: first ? `Added by ${first.createdBy} on ${day(first.createdAt)}. Why it was created, by whom and for which task is not recorded yet.` : 'Not recorded yet.',
    composition: latest
      ? [
          `Version ${latest.version}: ${latest.rowCount ?? 'unknown number of'} rows in ${latest.files.length} file(s), ${latest.size} bytes.`,
          ...(latest.parts ? ['', `The table is stored in ${latest.parts.length} parts: ${latest.parts.map((p) => `\`${p.path}\` (${p.rowCount} rows)`).join(', ')}.`] : []),
          ...(latest.schemaDifferences.length ? ['', `Columns that differ between parts: ${latest.schemaDifferences.map(schemaDifference).join('; ')}.`] : []),
          ...(latest.profile ? ['', table(['column', 'type', 'nulls', 'distinct', 'min', 'max', 'mean'], latest.profile.map((c) => [c.name, c.type, c.nullCount, c.distinctCount, c.min, c.max, c.mean ?? '']))] : []),
        ].join('\n')
      : 'No version yet.',
    collection: latest ? `Files: ${latest.files.map((file) => `\`${file.path}\``).join(', ')}.${sources.length ? ` Derived from ${sources.length} dataset version(s).` : ''}` : 'Not recorded yet.',
    preprocessing: producers.length ? `Produced by run(s) ${producers.map((r) => `\`${r}\``).join(', ')}.` : 'No recorded run produced this data.',
    uses: runs.length || models.length ? `Consumed by ${runs.length} run(s)${models.length ? `, which produced model version(s) ${models.map((m) => `\`${m}\``).join(', ')}` : ''}.` : 'No recorded run has used this data yet.',
    distribution: latest ? `Stored in the platform by content (sha256 ${latest.digest}); \`openexpert data get ${f.name}@${latest.version}\` returns these exact bytes.` : 'Not recorded yet.',
    maintenance: [
      table(['version', 'added', 'by', 'labels', 'digest'], f.versions.map((v) => [v.version, day(v.createdAt), v.createdBy, v.labels.join(' '), v.digest.slice(0, 12)])),
      ...(f.latestValidation ? ['', `Latest validation: suite \`${f.latestValidation.suite}\` ${f.latestValidation.success ? 'passed' : 'failed'} on ${day(f.latestValidation.at)}.`] : []),
    ].join('\n'),
  };
}

/** The written sections, and a draft from the platform's records for each section nobody wrote. */
export function composeDatasheet(f: DatasheetFacts, stored: { sections: Partial<Record<DatasheetSection, string>>; updatedBy: string; updatedAt: number } | undefined): Datasheet {
  const drafted = drafts(f);
  const written = stored?.sections ?? {};
  return {
    name: f.name,
    sections: Object.fromEntries(DATASHEET_SECTIONS.map((s) => [s, written[s] ?? drafted[s]])) as Record<DatasheetSection, string>,
    drafted: DATASHEET_SECTIONS.filter((s) => written[s] === undefined),
    updatedBy: stored?.updatedBy ?? null,
    updatedAt: stored?.updatedAt ?? null,
  };
}

export function datasheetMarkdown(sheet: Datasheet): string {
  const parts = [`# Datasheet: ${sheet.name}`, '', '_Sections follow Gebru et al., "Datasheets for Datasets" (2021)._'];
  for (const s of DATASHEET_SECTIONS) {
    parts.push('', `## ${TITLES[s]}`, '');
    if (sheet.drafted.includes(s)) parts.push('_Drafted from the platform\'s records; nobody has written this section yet._', '');
    parts.push(sheet.sections[s]);
  }
  return `${parts.join('\n')}\n`;
}
