import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { invalid } from '../../core/errors.js';
import type { ColumnReport, DriftOptions, DriftReport } from '../../domain/monitoring/analysis.js';
import { recordsToColumns } from '../../domain/monitoring/table.js';
import { ALERT_OPS, TABLE_FORMATS, WINDOW_KINDS, type AlertRule, type ColumnarBatch, type Delivery, type TableFormat } from '../../domain/monitoring/types.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import { sent, type Route } from '../surface.js';
import { metricValueToWire, QueryInt } from '../wire-types.js';
import {
  AlertRuleOut, AlertRuleWithEvents, ClosedOut, ColumnSpec, CreatedAlertRuleOut, DeliveryOut, DriftConfig, DriftReportOut, IngestedOut, LabelsOut, MonitorConfig, type DriftReportWire,
  MonitorOut, MonitorStatusOut, RetrainRequestOut, WindowOut, WindowWithResult,
} from './monitoring.replies.js';
import { ProjectName, ProjectQuery } from './projects.routes.js';
import { Empty, HtmlReport, items, media } from './replies.js';

/** Monitoring on the native API: monitors, ingest, windows and reports, alert rules, deliveries, retrain requests. */
const Name = z.string().min(1).max(256).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore, starting with a letter or digit');
/** A batch arrives as row objects or as equal-length column arrays. */
const BatchFields = {
  rows: z.array(z.record(z.string(), z.unknown())).optional(),
  columns: z.record(z.string(), z.array(z.unknown())).optional(),
};
const toBatch = (b: { rows?: Record<string, unknown>[] | undefined; columns?: Record<string, unknown[]> | undefined }): ColumnarBatch | undefined =>
  b.columns ?? (b.rows ? recordsToColumns(b.rows) : undefined);
const Batch = z
  .object(BatchFields)
  .refine((b) => (b.rows === undefined) !== (b.columns === undefined), { message: "give either 'rows' or 'columns'", path: ['rows'] });

/** A reference kept elsewhere: a dataset version, or a Parquet/CSV file in the server's artifact store. */
const DatasetRefText = z.string().min(1).max(330).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(@[A-Za-z0-9][A-Za-z0-9._-]*)?$/, 'name@version, name@label or name');
const ReferenceFrom = z.union([
  z.object({ dataset: DatasetRefText }).strict(),
  z.object({ uri: z.string().min(1).max(2048).regex(/\.(parquet|csv|tsv)$/i, 'a .parquet, .csv or .tsv file') }).strict(),
]);
const Reference = z.union([ReferenceFrom, Batch]);
const isReferenceFrom = (r: z.infer<typeof Reference>): r is z.infer<typeof ReferenceFrom> => 'dataset' in r || 'uri' in r;

const CreateMonitor = z.object({
  name: Name,
  modelName: z.string().min(1).max(500).optional(),
  modelVersion: z.string().min(1).max(64).optional(),
  window: z.enum(WINDOW_KINDS).optional(),
  config: MonitorConfig.optional(),
  reference: Reference.optional(),
  project: ProjectName.optional(),
});
const ListMonitors = z.object(ProjectQuery);
const UploadQuery = z.object({
  format: z.enum(TABLE_FORMATS).optional(),
  timestamp: QueryInt.pipe(z.number().int().nonnegative()).optional(),
});
const MonitorParam = z.object({ monitor: z.string().min(1) });
const WindowParam = z.object({ monitor: z.string().min(1), windowId: z.string().min(1) });
const RuleParam = z.object({ ruleId: z.string().min(1) });
const Ingest = z.object({ ...BatchFields, timestamp: z.number().int().nonnegative().optional() })
  .refine((b) => (b.rows === undefined) !== (b.columns === undefined), { message: "give either 'rows' or 'columns'", path: ['rows'] });
const Labels = z.object({
  labels: z.array(z.object({ predictionId: z.union([z.string().min(1), z.number().transform(String)]), label: z.unknown() })).min(1).max(100_000),
});
const CloseWindows = z.object({ windowId: z.string().min(1).optional() });
const Limit = z.object({ limit: QueryInt.pipe(z.number().int().min(1).max(1000)).optional() });
const HttpUrl = z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');
const CreateRule = z.object({
  name: Name,
  figure: z.string().min(1).max(512),
  op: z.enum(ALERT_OPS),
  threshold: z.number().finite(),
  forWindows: z.number().int().min(1).max(1000).optional(),
  webhookUrl: HttpUrl.optional(),
  webhookSecret: z.string().min(16).max(128).optional(),
  retrain: z
    .object({ webhookUrl: HttpUrl.optional(), command: z.array(z.string().min(1)).min(1).optional(), cooldownMs: z.number().int().nonnegative().optional() })
    .optional(),
});
const RetrainParam = z.object({ requestId: z.string().min(1) });
const CompleteRetrain = z.object({
  status: z.enum(['completed', 'failed']),
  runId: z.string().min(1).max(64).optional(),
  modelName: z.string().min(1).max(500).optional(),
  modelVersion: z.union([z.string().min(1).max(64), z.number().int().positive().transform(String)]).optional(),
  detail: z.string().max(2000).optional(),
}).strict();
const ListAlerts = z.object({ monitor: z.string().min(1).optional(), state: z.enum(['inactive', 'pending', 'firing', 'resolved']).optional() });
const Silence = z.object({ durationMs: z.number().int().positive().optional(), until: z.number().int().positive().optional(), reason: z.string().max(1000).optional() });
const Report = z.object({
  reference: Batch,
  current: Batch,
  options: z.object({ columns: z.array(ColumnSpec).optional(), predictionColumn: z.string().optional(), excludeColumns: z.array(z.string()).optional(), ...DriftConfig }).optional(),
});
const ReportQuery = z.object({ format: z.enum(['json', 'html']).optional() });

/** Tables stream as the body in CSV or Parquet (or octet-stream with `?format=`); small batches come as JSON. */
const tableBody = (json: z.ZodType) => media({
  'application/json': json,
  'text/csv': z.string().describe('a CSV table with a header row'),
  'application/vnd.apache.parquet': z.string().describe('a Parquet file'),
  'application/octet-stream': z.string().describe('a CSV or Parquet file, as ?format= says'),
});
const ReferenceBody = tableBody(Reference);
const IngestBody = tableBody(Ingest);
const ReportFormats = media({ 'application/json': DriftReportOut, 'text/html': z.string() });

/** Infinite statistics go out as strings (JSON would send null), as MLflow sends metric values. */
const columnOut = (c: ColumnReport) =>
  (c.drift.statistic === undefined ? c : { ...c, drift: { ...c.drift, statistic: metricValueToWire(c.drift.statistic) as number | 'NaN' | 'Infinity' | '-Infinity' } });
const reportOut = (r: DriftReport): DriftReportWire => ({ ...r, columns: r.columns.map(columnOut), ...(r.predictionDrift ? { predictionDrift: columnOut(r.predictionDrift) } : {}) });

/** The secret signs deliveries; it is shown once, when the rule is created, and never again. */
const ruleOut = ({ webhookSecret: _secret, ...rule }: AlertRule) => rule;
const deliveryOut = ({ secret: _secret, ...delivery }: Delivery) => delivery;

const TABLE_TYPES: Record<string, TableFormat> = { 'text/csv': 'csv', 'application/vnd.apache.parquet': 'parquet', 'application/x-parquet': 'parquet' };

/** Tables sent as CSV or Parquet stream through to the service: no body limit, nothing buffered whole. */
export function streamTableBodies(scope: FastifyInstance): void {
  scope.addContentTypeParser(Object.keys(TABLE_TYPES), (_request, payload, done) => done(null, payload));
}

/** The upload's format from its content type (or `?format=` for application/octet-stream); undefined for a JSON body. */
function uploadFormat(contentType: string | undefined, query: { format?: TableFormat | undefined }): TableFormat | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (TABLE_TYPES[type]) return TABLE_TYPES[type];
  if (type !== 'application/octet-stream') return undefined;
  if (!query.format) throw invalid("Invalid value for parameter 'format': say format=csv or format=parquet, or send Content-Type text/csv or application/vnd.apache.parquet");
  return query.format;
}

const isStream = (body: unknown): body is NodeJS.ReadableStream => typeof (body as NodeJS.ReadableStream | undefined)?.pipe === 'function';

export function monitoringRoutesV1(s: Services): Route[] {
  const m = s.monitoring;
  return [
    {
      method: 'POST', path: '/monitors',
      schema: { summary: 'Create a monitor over a model version, with its reference (rows, columns, a dataset version or a file)', body: CreateMonitor, response: { 201: MonitorOut } },
      handler: async ({ actor, body, reply }) => {
        const { reference, ...b } = parse(CreateMonitor, body);
        const from = reference && isReferenceFrom(reference) ? reference : undefined;
        const batch = reference && !isReferenceFrom(reference) ? toBatch(reference) : undefined;
        const monitor = await m.create(actor, { ...b, ...(batch ? { reference: batch } : {}), ...(from ? { referenceFrom: from } : {}) });
        void reply.status(201);
        return monitor;
      },
    },
    {
      method: 'GET', path: '/monitors',
      schema: { summary: 'Monitors (of one project, when given)', querystring: ListMonitors, response: { 200: items(MonitorOut) } },
      handler: async ({ actor, query }) => ({ items: await m.list(actor, parse(ListMonitors, query ?? {}).project) }),
    },
    {
      method: 'GET', path: '/monitors/:monitor',
      schema: { summary: 'A monitor (by id or name)', params: MonitorParam, response: { 200: MonitorOut } },
      handler: ({ actor, params }) => m.get(actor, parse(MonitorParam, params).monitor),
    },
    {
      method: 'DELETE', path: '/monitors/:monitor',
      schema: { summary: 'Delete a monitor with its windows and rules', params: MonitorParam, response: { 200: Empty } },
      handler: async ({ actor, params }) => { await m.delete(actor, parse(MonitorParam, params).monitor); return {}; },
    },
    {
      method: 'PUT', path: '/monitors/:monitor/reference',
      schema: { summary: 'Replace the reference: JSON rows or columns, a dataset version or file, or a CSV/Parquet table streamed as the body', params: MonitorParam, querystring: UploadQuery, body: ReferenceBody, response: { 200: MonitorOut } },
      handler: ({ actor, params, body, query, headers }) => {
        const { monitor } = parse(MonitorParam, params);
        const format = uploadFormat(headers['content-type'], parse(UploadQuery, query));
        if (format) {
          if (!isStream(body)) throw invalid('Send the table as the request body');
          return m.uploadReference(actor, { monitor, body, format });
        }
        const reference = parse(Reference, body);
        return isReferenceFrom(reference) ? m.setReferenceFrom(actor, { monitor, ...reference }) : m.setReference(actor, { monitor, batch: toBatch(reference)! });
      },
    },
    {
      method: 'POST', path: '/monitors/:monitor/ingest',
      schema: { summary: 'Add a batch of predictions (JSON, or a CSV/Parquet table streamed as the body); closes windows it ends', params: MonitorParam, querystring: UploadQuery, body: IngestBody, response: { 200: IngestedOut } },
      handler: ({ actor, params, body, query, headers }) => {
        const q = parse(UploadQuery, query);
        const format = uploadFormat(headers['content-type'], q);
        if (format) {
          if (!isStream(body)) throw invalid('Send the table as the request body');
          return m.ingestFile(actor, { monitor: parse(MonitorParam, params).monitor, body, format, ...(q.timestamp !== undefined ? { timestamp: q.timestamp } : {}) });
        }
        const b = parse(Ingest, body);
        return m.ingest(actor, { monitor: parse(MonitorParam, params).monitor, batch: toBatch(b)!, ...(b.timestamp !== undefined ? { timestamp: b.timestamp } : {}) });
      },
    },
    {
      method: 'POST', path: '/monitors/:monitor/labels',
      schema: { summary: 'Add delayed ground truth, joined to predictions by id', params: MonitorParam, body: Labels, response: { 200: LabelsOut } },
      handler: ({ actor, params, body }) => m.addLabels(actor, { monitor: parse(MonitorParam, params).monitor, labels: parse(Labels, body).labels }),
    },
    {
      method: 'POST', path: '/monitors/:monitor/windows/close',
      schema: { summary: 'Close open windows now (or one), computing their reports and alerts', params: MonitorParam, body: CloseWindows, response: { 200: ClosedOut } },
      handler: async ({ actor, params, body }) => {
        const b = parse(CloseWindows, body);
        return { closed: await m.closeWindows(actor, { monitor: parse(MonitorParam, params).monitor, ...(b.windowId ? { windowId: b.windowId } : {}) }) };
      },
    },
    {
      method: 'GET', path: '/monitors/:monitor/windows',
      schema: { summary: 'A monitor\'s windows, newest first', params: MonitorParam, querystring: Limit, response: { 200: items(WindowOut) } },
      handler: async ({ actor, params, query }) => ({ items: await m.listWindows(actor, { monitor: parse(MonitorParam, params).monitor, ...parse(Limit, query) }) }),
    },
    {
      method: 'GET', path: '/monitors/:monitor/windows/:windowId',
      schema: { summary: 'A window with its drift report, performance and figures', params: WindowParam, response: { 200: WindowWithResult } },
      handler: async ({ actor, params }) => {
        const window = await m.getWindow(actor, parse(WindowParam, params));
        return { ...window, result: window.result && { ...window.result, report: reportOut(window.result.report) } };
      },
    },
    {
      method: 'GET', path: '/monitors/:monitor/windows/:windowId/report.html',
      schema: { summary: 'A window\'s drift report as HTML', params: WindowParam, response: { 200: HtmlReport } },
      handler: async ({ actor, params, reply }) => {
        const html = await m.windowReportHtml(actor, parse(WindowParam, params));
        return sent(reply.header('content-type', 'text/html; charset=utf-8').send(html));
      },
    },
    {
      method: 'GET', path: '/monitors/:monitor/status',
      schema: { summary: 'A monitor\'s latest window, open windows and alert rules', params: MonitorParam, response: { 200: MonitorStatusOut } },
      handler: async ({ actor, params }) => {
        const st = await m.status(actor, parse(MonitorParam, params).monitor);
        return { ...st, alerts: st.alerts.map(ruleOut) };
      },
    },
    {
      method: 'POST', path: '/monitors/:monitor/alert-rules',
      schema: { summary: 'Create an alert rule on a figure (its webhook secret is in this reply only)', params: MonitorParam, body: CreateRule, response: { 201: CreatedAlertRuleOut } },
      handler: async ({ actor, params, body, reply }) => {
        const rule = await m.createAlertRule(actor, { monitor: parse(MonitorParam, params).monitor, ...parse(CreateRule, body) });
        void reply.status(201);
        return rule;
      },
    },
    {
      method: 'GET', path: '/monitors/:monitor/alert-rules',
      schema: { summary: 'A monitor\'s alert rules', params: MonitorParam, response: { 200: items(AlertRuleOut) } },
      handler: async ({ actor, params }) => ({ items: (await m.listAlertRules(actor, { monitor: parse(MonitorParam, params).monitor })).map(ruleOut) }),
    },
    {
      method: 'GET', path: '/monitors/:monitor/deliveries',
      schema: { summary: 'Webhook deliveries of a monitor, newest first', params: MonitorParam, querystring: Limit, response: { 200: items(DeliveryOut) } },
      handler: async ({ actor, params, query }) => ({ items: (await m.listDeliveries(actor, { monitor: parse(MonitorParam, params).monitor, ...parse(Limit, query) })).map(deliveryOut) }),
    },
    {
      method: 'GET', path: '/monitors/:monitor/retrain-requests',
      schema: { summary: 'Retraining a monitor\'s alerts set off', params: MonitorParam, querystring: Limit, response: { 200: items(RetrainRequestOut) } },
      handler: async ({ actor, params, query }) => ({ items: await m.listRetrainRequests(actor, { monitor: parse(MonitorParam, params).monitor, ...parse(Limit, query) }) }),
    },
    {
      method: 'POST', path: '/retrain-requests/:requestId/outcome',
      schema: { summary: 'Report how a retraining ended (its run and registered version go into the lineage)', params: RetrainParam, body: CompleteRetrain, response: { 200: RetrainRequestOut } },
      handler: ({ actor, params, body }) => m.completeRetrain(actor, { requestId: parse(RetrainParam, params).requestId, ...parse(CompleteRetrain, body) }),
    },
    {
      method: 'GET', path: '/alerts',
      schema: { summary: 'Alert rules of every monitor the caller can read', querystring: ListAlerts, response: { 200: items(AlertRuleOut) } },
      handler: async ({ actor, query }) => {
        const q = parse(ListAlerts, query);
        return { items: (await m.listAlertRules(actor, { ...(q.monitor ? { monitor: q.monitor } : {}), ...(q.state ? { state: q.state } : {}) })).map(ruleOut) };
      },
    },
    {
      method: 'GET', path: '/alerts/:ruleId',
      schema: { summary: 'An alert rule with its state changes, and for a drift rule that fired the drifted features with their attributions', params: RuleParam, response: { 200: AlertRuleWithEvents } },
      handler: async ({ actor, params }) => {
        const { rule, events, drift } = await m.getAlertRule(actor, parse(RuleParam, params).ruleId);
        return { ...ruleOut(rule), events, drift };
      },
    },
    {
      method: 'DELETE', path: '/alerts/:ruleId',
      schema: { summary: 'Delete an alert rule', params: RuleParam, response: { 200: Empty } },
      handler: async ({ actor, params }) => { await m.deleteAlertRule(actor, parse(RuleParam, params).ruleId); return {}; },
    },
    {
      method: 'POST', path: '/alerts/:ruleId/silence',
      schema: { summary: 'Silence a rule for a while or until a time (it keeps evaluating; deliveries stop)', params: RuleParam, body: Silence, response: { 200: AlertRuleOut } },
      handler: async ({ actor, params, body }) => ruleOut(await m.silence(actor, { ruleId: parse(RuleParam, params).ruleId, ...parse(Silence, body) })),
    },
    {
      method: 'DELETE', path: '/alerts/:ruleId/silence',
      schema: { summary: 'End a silence', params: RuleParam, response: { 200: AlertRuleOut } },
      handler: async ({ actor, params }) => ruleOut(await m.unsilence(actor, parse(RuleParam, params).ruleId)),
    },
    {
      method: 'POST', path: '/monitoring/report',
      schema: { summary: 'A one-off drift report of two batches (JSON or HTML), nothing stored', querystring: ReportQuery, body: Report, response: { 200: ReportFormats } },
      handler: async ({ actor, body, query, reply }) => {
        const b = parse(Report, body);
        const report = await m.report(actor, { reference: toBatch(b.reference)!, current: toBatch(b.current)!, ...(b.options ? { options: b.options as DriftOptions } : {}) });
        if (parse(ReportQuery, query).format === 'html') return sent(reply.header('content-type', 'text/html; charset=utf-8').send(m.renderHtml(report)));
        return reportOut(report);
      },
    },
  ];
}
