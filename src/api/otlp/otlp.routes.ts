import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ErrorCode } from '../../core/errors.js';
import { invalid } from '../../core/errors.js';
import { decodeOtlpTraces } from '../../domain/llmops/otlp-protobuf.js';
import type { OtlpRequest } from '../../domain/llmops/otlp.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import { sent, type Route } from '../surface.js';

/**
 * OTLP/HTTP trace ingest (`POST /v1/traces`), as an OpenTelemetry exporter sends it: `application/json` (OTLP/JSON)
 * or `application/x-protobuf`, optionally gzip-compressed. The answer is an `ExportTraceServiceResponse` in the
 * request's encoding (empty: everything was accepted); errors are a `google.rpc.Status` with HTTP 4xx, which the
 * exporters treat as not retryable (5xx and 429 they retry).
 */
export const OTLP_STATUS: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400, RESOURCE_ALREADY_EXISTS: 409, INVALID_STATE: 400, RESOURCE_DOES_NOT_EXIST: 404, UNAUTHENTICATED: 401, PERMISSION_DENIED: 403,
  // The exporters retry 503 (with Retry-After when given).
  TEMPORARILY_UNAVAILABLE: 503,
};
/** google.rpc.Status codes: INVALID_ARGUMENT 3, NOT_FOUND 5, ALREADY_EXISTS 6, PERMISSION_DENIED 7, UNAUTHENTICATED 16, INTERNAL 13. */
const RPC_CODE: Record<string, number> = {
  INVALID_PARAMETER_VALUE: 3, INVALID_STATE: 9, TEMPORARILY_UNAVAILABLE: 14, RESOURCE_DOES_NOT_EXIST: 5, RESOURCE_ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, UNAUTHENTICATED: 16,
};
export const otlpErrorBody = (code: string, message: string) => ({ code: RPC_CODE[code] ?? 13, message });

/** Every body arrives as bytes: the handler decides by content type and encoding. */
export function rawOtlpBodies(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}

const Query = z.object({ project: z.string().min(1).max(256).optional() }).strict();

export function otlpRoutes(s: Services): Route[] {
  return [
    {
      method: 'POST', path: '/traces',
      schema: {
        summary: 'OTLP/HTTP trace export (JSON or protobuf); GenAI semantic-convention attributes become LLM spans', tags: ['llmops'], querystring: Query,
        body: { content: { 'application/json': { schema: z.unknown() }, 'application/x-protobuf': { schema: z.string().describe('ExportTraceServiceRequest') } } },
      },
      handler: async ({ actor, body, query, headers, reply }) => {
        const buffer = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
        const bytes = headers['content-encoding'] === 'gzip' ? gunzipOrThrow(buffer) : buffer;
        const type = String(headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const project = parse(Query, query).project ?? headerValue(headers['x-openexpert-project']);
        if (type === 'application/x-protobuf' || type === 'application/protobuf') {
          await s.traces.ingestOtlp(actor, decodeOtlpTraces(bytes), project);
          // An empty ExportTraceServiceResponse encodes to zero bytes.
          return sent(reply.status(200).type('application/x-protobuf').send(Buffer.alloc(0)));
        }
        if (type !== 'application/json') throw invalid(`Unsupported content type '${type}': send application/json or application/x-protobuf`);
        let request: OtlpRequest;
        try {
          request = JSON.parse(bytes.toString('utf8')) as OtlpRequest;
        } catch {
          throw invalid('Body is not valid JSON');
        }
        if (typeof request !== 'object' || request === null || (request.resourceSpans !== undefined && !Array.isArray(request.resourceSpans))) throw invalid('Body is not an ExportTraceServiceRequest');
        await s.traces.ingestOtlp(actor, request, project);
        return {};
      },
    },
  ];
}

const headerValue = (v: string | string[] | undefined) => (typeof v === 'string' && v !== '' ? v : undefined);

function gunzipOrThrow(b: Buffer): Buffer {
  try {
    return gunzipSync(b, { maxOutputLength: 64 * 1024 * 1024 });
  } catch {
    throw invalid('Body is not valid gzip');
  }
}
