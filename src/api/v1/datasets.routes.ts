import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { invalid } from '../../core/errors.js';
import { parseDatasetRef } from '../../domain/datasets/dataset.service.js';
import { lineageDot, lineageMermaid } from '../../domain/datasets/lineage-render.js';
import { DATASHEET_SECTIONS } from '../../domain/datasets/types.js';
import { STRICTNESS } from '../../domain/validation/suggest-suite.js';
import { ResultFormatSpec, Suite } from '../../domain/validation/types.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import { sent, type Route } from '../surface.js';
import { QueryInt } from '../wire-types.js';
import { ProjectName, ProjectQuery } from './projects.routes.js';
import {
  AddedVersion, BlobStored, DatasetSummary, DatasetVersionOut, DatasheetOut, GcReportOut, LineageGraphOut, MissingBlobsOut, StoredSuiteOut,
  StoredValidationOut, SuggestedSuiteOut, SuiteSummary, VersionDiffOut,
} from './datasets.replies.js';
import { Empty, HtmlReport, items, media } from './replies.js';

/** Datasets, datasheets, lineage and validation on the native API. */
const Name = z.string().min(1).max(256).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore, starting with a letter or digit');
const Label = z.string().min(1).max(64).regex(/^[A-Za-z][A-Za-z0-9._-]*$/, 'a label starts with a letter (numbers name versions)');
const Ref = z.string().min(1).max(64);
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits');
const RefText = z.string().min(3).max(330).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9._-]*$/, 'name@version or name@label').transform(parseDatasetRef);
const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64').transform((s) => Buffer.from(s, 'base64'));
const NewFile = z.union([
  z.object({ path: z.string().min(1).max(1024), content: Base64 }).strict(),
  z.object({ path: z.string().min(1).max(1024), sha256: Sha256, size: z.number().int().min(0) }).strict(),
]);
const AddVersion = z.object({
  name: Name,
  files: z.array(NewFile).min(1).max(10_000),
  labels: z.array(Label).max(20).optional(),
  derivedFrom: z.array(RefText).max(100).optional(),
  producedBy: z.string().min(1).max(64).optional(),
  emptyFiles: z.enum(['warn', 'refuse']).optional(),
  project: ProjectName.optional(),
});
const ListDatasets = z.object(ProjectQuery);
const Gc = z.object({ dryRun: z.boolean().default(false) }).strict();
const MissingBlobs = z.object({ files: z.array(z.object({ sha256: Sha256, size: z.number().int().min(0) })).max(10_000) });
const BlobParams = z.object({ name: Name, sha256: Sha256 });
const NameParam = z.object({ name: Name });
const VersionParam = z.object({ name: Name, ref: Ref });
const ValidationParam = z.object({ name: Name, ref: Ref, id: z.string().regex(/^[0-9a-f]{1,64}$/, 'a validation id') });
const LabelParam = z.object({ name: Name, label: Label });
const SetLabel = z.object({ version: z.union([z.number().int().positive().transform(String), Ref]) });
const SuggestQuery = z.object({ strictness: z.enum(STRICTNESS).default('moderate'), name: Suite.shape.name.optional() }).strict();
const DiffQuery = z.object({ from: Ref, to: Ref, key: z.string().min(1).max(256).optional() });
const FileQuery = z.object({ path: z.string().min(1) });
const FormatQuery = z.object({ format: z.enum(['json', 'markdown']).default('json') });
const UpdateDatasheet = z.object({ sections: z.partialRecord(z.enum(DATASHEET_SECTIONS), z.string().max(100_000)) }).strict();
const Validate = z
  .object({
    suite: Suite.optional(), suiteName: Suite.shape.name.optional(), suiteVersion: z.number().int().positive().optional(), file: z.string().min(1).optional(),
    resultFormat: ResultFormatSpec.optional(),
  })
  .refine((v) => (v.suite === undefined) !== (v.suiteName === undefined), { message: 'give either suite (inline) or suiteName', path: ['suite'] });
const SuiteParams = z.object({ name: Suite.shape.name, version: z.union([z.literal('latest').transform(() => undefined), QueryInt.pipe(z.number().int().positive())]) });
const Kind = z.string().regex(/^[a-z][a-z_]{0,31}$/, 'lowercase letters and underscores');
const Node = z.object({ kind: Kind, id: z.string().min(1).max(256) });
const RecordEdges = z.object({ edges: z.array(z.object({ from: Node, to: Node, relation: Kind })).min(1).max(10_000) });
const LineageQuery = z.object({
  direction: z.enum(['upstream', 'downstream']).default('downstream'),
  depth: QueryInt.pipe(z.number().int().min(1).max(50)).optional(),
  format: z.enum(['json', 'mermaid', 'dot']).default('json'),
});

const FileBytes = media({ 'application/octet-stream': z.string().describe('the file\'s bytes') });
const DatasheetFormats = media({ 'application/json': DatasheetOut, 'text/markdown': z.string() });
const LineageFormats = media({ 'application/json': LineageGraphOut, 'text/plain': z.string().describe('Mermaid or Graphviz dot source') });

/** Blob uploads stream straight into the artifact store: no parser may buffer an octet-stream body. */
export function streamOctetBodies(scope: FastifyInstance): void {
  scope.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
}

const contentLength = (header: string | undefined) => (header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined);

export function datasetRoutesV1(s: Services): Route[] {
  const d = s.datasets;
  const v = s.validation;
  return [
    {
      method: 'PUT', path: '/datasets/:name/blobs/:sha256',
      schema: { summary: 'Upload a file\'s bytes ahead of the version that lists it (checked against the sha256 in the path)', params: BlobParams, body: FileBytes, response: { 200: BlobStored, 201: BlobStored } },
      handler: async ({ actor, params, request, reply }) => {
        const { name, sha256 } = parse(BlobParams, params);
        if (typeof (request.body as NodeJS.ReadableStream | undefined)?.pipe !== 'function') throw invalid('Send the file as the request body with Content-Type: application/octet-stream');
        const stored = await d.putBlob(actor, { name, sha256, body: request.body as NodeJS.ReadableStream, size: contentLength(request.headers['content-length']) });
        void reply.status(stored.created ? 201 : 200);
        return stored;
      },
    },
    {
      method: 'POST', path: '/datasets/:name/blobs/missing',
      schema: { summary: 'Which of these contents the store lacks, so a client uploads only those', params: NameParam, body: MissingBlobs, response: { 200: MissingBlobsOut } },
      handler: async ({ actor, params, body }) => ({ missing: await d.missingBlobs(actor, { name: parse(NameParam, params).name, files: parse(MissingBlobs, body).files }) }),
    },
    {
      method: 'POST', path: '/datasets',
      schema: { summary: 'Add a dataset version (files inline as base64, or uploaded before by digest); 200 when the latest version already has these files', body: AddVersion, response: { 200: AddedVersion, 201: AddedVersion } },
      handler: async ({ actor, body, reply }) => {
        const result = await d.addVersion(actor, parse(AddVersion, body));
        void reply.status(result.created ? 201 : 200);
        return result;
      },
    },
    {
      method: 'GET', path: '/datasets',
      schema: { summary: 'Datasets with their latest version (of one project, when given)', querystring: ListDatasets, response: { 200: items(DatasetSummary) } },
      handler: async ({ actor, query }) => ({ items: await d.list(actor, parse(ListDatasets, query ?? {}).project) }),
    },
    {
      method: 'POST', path: '/datasets/gc',
      schema: { summary: 'Remove file contents no version references (server maintainers)', body: Gc, response: { 200: GcReportOut } },
      handler: ({ actor, body }) => d.collectGarbage(actor, parse(Gc, body ?? {})),
    },
    {
      method: 'GET', path: '/datasets/:name/versions',
      schema: { summary: 'A dataset\'s versions', params: NameParam, response: { 200: items(DatasetVersionOut) } },
      handler: async ({ actor, params }) => ({ items: await d.listVersions(actor, parse(NameParam, params).name) }),
    },
    {
      method: 'GET', path: '/datasets/:name/versions/:ref',
      schema: { summary: 'A dataset version by number or label', params: VersionParam, response: { 200: DatasetVersionOut } },
      handler: ({ actor, params }) => d.get(actor, parse(VersionParam, params)),
    },
    {
      method: 'GET', path: '/datasets/:name/versions/:ref/file',
      schema: { summary: 'A file\'s bytes (its sha256 in the X-Content-Sha256 header)', params: VersionParam, querystring: FileQuery, response: { 200: FileBytes } },
      handler: async ({ actor, params, query, reply }) => {
        const { file, body } = await d.openCheckedFile(actor, { ref: parse(VersionParam, params), path: parse(FileQuery, query).path });
        // The digest goes ahead of the bytes so any client can check what it received.
        return sent(reply.header('content-type', 'application/octet-stream').header('content-length', file.size).header('x-content-sha256', file.sha256).send(body));
      },
    },
    {
      method: 'GET', path: '/datasets/:name/diff',
      schema: { summary: 'Schema, profile and file changes between two versions; rows too when a key column is given', params: NameParam, querystring: DiffQuery, response: { 200: VersionDiffOut } },
      handler: ({ actor, params, query }) => {
        const { name } = parse(NameParam, params);
        const q = parse(DiffQuery, query);
        return d.diff(actor, { from: { name, ref: q.from }, to: { name, ref: q.to }, key: q.key });
      },
    },
    {
      method: 'PUT', path: '/datasets/:name/labels/:label',
      schema: { summary: 'Point a label at a version', params: LabelParam, body: SetLabel, response: { 200: DatasetVersionOut } },
      handler: ({ actor, params, body }) => {
        const { name, label } = parse(LabelParam, params);
        return d.setLabel(actor, { ref: { name, ref: parse(SetLabel, body).version }, label });
      },
    },
    {
      method: 'GET', path: '/datasets/:name/datasheet',
      schema: { summary: 'A dataset\'s datasheet (JSON or markdown)', params: NameParam, querystring: FormatQuery, response: { 200: DatasheetFormats } },
      handler: async ({ actor, params, query, reply }) => {
        const sheet = await d.datasheet(actor, parse(NameParam, params).name);
        if (parse(FormatQuery, query).format === 'json') return sheet;
        return sent(reply.header('content-type', 'text/markdown; charset=utf-8').send(sheet.markdown));
      },
    },
    {
      method: 'PUT', path: '/datasets/:name/datasheet',
      schema: { summary: 'Write datasheet sections (the others are kept)', params: NameParam, body: UpdateDatasheet, response: { 200: DatasheetOut } },
      handler: ({ actor, params, body }) => d.updateDatasheet(actor, { name: parse(NameParam, params).name, sections: parse(UpdateDatasheet, body).sections }),
    },
    {
      method: 'POST', path: '/datasets/:name/versions/:ref/validations',
      schema: { summary: 'Validate a dataset version against a suite (inline or registered) and store the result', params: VersionParam, body: Validate, response: { 201: StoredValidationOut } },
      handler: async ({ actor, params, body, reply }) => {
        const b = parse(Validate, body);
        const stored = await v.validate(actor, { ref: parse(VersionParam, params), suite: b.suite ?? { name: b.suiteName!, version: b.suiteVersion }, file: b.file, resultFormat: b.resultFormat });
        void reply.status(201);
        return stored;
      },
    },
    {
      method: 'GET', path: '/datasets/:name/versions/:ref/suggested-suite',
      schema: {
        summary: "An expectation suite suggested from the version's profile (each expectation's meta says why); nothing is registered",
        params: VersionParam, querystring: SuggestQuery, response: { 200: SuggestedSuiteOut },
      },
      handler: ({ actor, params, query }) => v.suggest(actor, { ref: parse(VersionParam, params), ...parse(SuggestQuery, query) }),
    },
    {
      method: 'GET', path: '/datasets/:name/versions/:ref/validations',
      schema: { summary: 'Validations of a dataset version', params: VersionParam, response: { 200: items(StoredValidationOut) } },
      handler: async ({ actor, params }) => ({ items: await v.validations(actor, parse(VersionParam, params)) }),
    },
    {
      method: 'GET', path: '/datasets/:name/versions/:ref/validations/:id/report.html',
      schema: { summary: 'A validation as an HTML report', params: ValidationParam, response: { 200: HtmlReport } },
      handler: async ({ actor, params, reply }) => {
        const { id, ...ref } = parse(ValidationParam, params);
        return sent(reply.header('content-type', 'text/html; charset=utf-8').send(await v.reportHtml(actor, ref, id)));
      },
    },
    {
      method: 'POST', path: '/validation-suites',
      schema: { summary: 'Register an expectation suite: 201 with a new version, or 200 with the version that has the same expectations under that name', body: Suite, response: { 200: StoredSuiteOut, 201: StoredSuiteOut } },
      handler: async ({ actor, body, reply }) => {
        const { suite, created } = await v.registerSuite(actor, parse(Suite, body));
        void reply.status(created ? 201 : 200);
        return suite;
      },
    },
    {
      method: 'GET', path: '/validation-suites',
      schema: { summary: 'Registered suites with their latest version', response: { 200: items(SuiteSummary) } },
      handler: async ({ actor }) => ({ items: await v.listSuites(actor) }),
    },
    {
      method: 'GET', path: '/validation-suites/:name/versions/:version',
      schema: { summary: 'A registered suite (a version number or `latest`)', params: SuiteParams, response: { 200: StoredSuiteOut } },
      handler: ({ actor, params }) => v.getSuite(actor, parse(SuiteParams, params)),
    },
    {
      method: 'POST', path: '/lineage/edges',
      schema: { summary: 'Record lineage edges (origin `user`)', body: RecordEdges, response: { 200: Empty } },
      handler: async ({ actor, body }) => {
        await d.recordLineage(actor, parse(RecordEdges, body).edges);
        return {};
      },
    },
    {
      method: 'GET', path: '/lineage/:kind/:id',
      schema: { summary: 'The lineage graph around a node (JSON, Mermaid or Graphviz dot)', params: Node, querystring: LineageQuery, response: { 200: LineageFormats } },
      handler: async ({ actor, params, query, reply }) => {
        const q = parse(LineageQuery, query);
        const graph = await d.lineage(actor, { node: parse(Node, params), direction: q.direction, depth: q.depth });
        if (q.format === 'json') return graph;
        return sent(reply.header('content-type', 'text/plain; charset=utf-8').send(q.format === 'mermaid' ? lineageMermaid(graph) : lineageDot(graph)));
      },
    },
  ];
}
