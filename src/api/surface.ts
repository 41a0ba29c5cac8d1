import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Actor } from '../core/actor.js';
import { collectChanges } from '../core/audit-notes.js';
import { isDomainError, type ErrorCode, type ErrorSubject } from '../core/errors.js';

export interface RouteContext {
  readonly actor: Actor;
  readonly body: unknown;
  readonly query: unknown;
  readonly params: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * What a route accepts and answers, as the zod schemas its handler parses with: the OpenAPI description is
 * generated from them, and with `checkReplies` every JSON reply is parsed by its status's schema (a reply that
 * does not match is a 500), so the description cannot lie where the test suite goes.
 */
export interface RouteSchema {
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly params?: z.ZodType;
  readonly querystring?: z.ZodType;
  /** A JSON body's schema, or a schema per media type for a route that also takes (or only takes) a streamed file. */
  readonly body?: z.ZodType | MediaTypes;
  /** Reply schemas by status (per media type for HTML, markdown or file replies); errors get the surface's error shape without saying so. */
  readonly response?: Readonly<Record<number, z.ZodType | ContentReply | MediaTypes>>;
}

/** A reply that is not JSON (Markdown, CSV, a stream) by media type: described, never checked (fastify sends text as it is). */
export interface ContentReply {
  readonly description: string;
  readonly content: Readonly<Record<string, { readonly schema: z.ZodType }>>;
}

/** A body or reply described per media type: `{ content: { 'text/html': { schema: z.string() } } }`. */
export interface MediaTypes {
  readonly description?: string;
  readonly content: Readonly<Record<string, { readonly schema: z.ZodType }>>;
}

export const isMediaTypes = (schema: unknown): schema is MediaTypes =>
  typeof schema === 'object' && schema !== null && 'content' in schema && typeof (schema as MediaTypes).content === 'object';

export interface Route {
  readonly method: Method | readonly Method[];
  readonly path: string;
  readonly schema?: RouteSchema;
  /** Returns the JSON body; a handler that sends the reply itself (a stream, text, HTML) returns `sent(reply.send(…))`. */
  readonly handler: (ctx: RouteContext) => Promise<unknown>;
  /**
   * A file upload: `body` is the request's unparsed stream whatever content type the client declares (or
   * undefined when it sent none), and the handler reads it itself.
   */
  readonly rawBody?: true;
}

const SENT: unique symbol = Symbol('reply sent by the handler');

/**
 * What a handler returns after sending the reply itself. Not the reply: a Fastify reply is thenable, so an async
 * handler returning it resolves, once the response has ended, to undefined, and the empty JSON body the surface
 * then sent was a second reply (FST_ERR_REP_ALREADY_SENT on every download).
 */
export function sent(_reply: FastifyReply): typeof SENT {
  return SENT;
}

/** One API surface: its route table, the prefixes it is served under and its one error→status table. */
export interface Surface {
  readonly name: string;
  readonly prefixes: readonly string[];
  readonly status: Record<ErrorCode, number>;
  errorBody(code: string, message: string): unknown;
  /** This surface's wording of errors that carry a subject (MLflow's clients match on MLflow's sentences); else the error's message. */
  wording?(subject: ErrorSubject, request: FastifyRequest): string;
  readonly routes: readonly Route[];
  /** Scope-level set-up, e.g. content-type parsers that stream request bodies instead of buffering them. */
  configure?(scope: FastifyInstance): void;
  /** The error body's schema, when the surface is described in OpenAPI. */
  readonly errorSchema?: z.ZodType;
}

export interface SurfaceOptions {
  /** Parse every reply by its declared schema (tests); otherwise replies are serialised without checks. */
  readonly checkReplies?: boolean;
}

/** The `Idempotency-Key` header, when a client sent one: retried writes carrying it are applied once. */
export function idempotencyKeyOf(headers: IncomingHttpHeaders): string | undefined {
  const key = headers['idempotency-key'];
  return typeof key === 'string' && key !== '' ? key : undefined;
}

/** Fastify's own client errors (bad JSON, wrong content type, body too large) carry a 4xx statusCode. */
function fastifyClientError(err: unknown): { status: number; message: string } | undefined {
  const e = err as Partial<FastifyError> | null;
  if (!e || typeof e.statusCode !== 'number' || e.statusCode < 400 || e.statusCode >= 500) return undefined;
  return { status: e.statusCode, message: e.message ?? 'Bad request' };
}

export function registerSurface(app: FastifyInstance, surface: Surface, options: SurfaceOptions = {}): void {
  for (const prefix of surface.prefixes) {
    void app.register(
      async (scope) => {
        surface.configure?.(scope);
        scope.setErrorHandler((err, request, reply) => {
          if (isDomainError(err)) {
            if (err.concealed || err.code === 'PERMISSION_DENIED' || err.code === 'UNAUTHENTICATED') request.refusal = { code: err.code, reason: err.message };
            const message = err.subject && surface.wording ? surface.wording(err.subject, request) : err.message;
            return reply.status(surface.status[err.code]).send(surface.errorBody(err.code, message));
          }
          const client = fastifyClientError(err);
          if (client) {
            // MLflow answers a body it cannot read with 400, whatever the reason; 413 stays meaningful.
            const status = client.status === 413 ? 413 : 400;
            return reply.status(status).send(surface.errorBody('INVALID_PARAMETER_VALUE', client.message));
          }
          request.log.error({ err }, 'unhandled error');
          return reply.status(500).send(surface.errorBody('INTERNAL_ERROR', 'Internal server error'));
        });
        // A surface at the root (MLflow's download endpoints) leaves unknown paths to the web UI.
        if (prefix !== '') {
          scope.setNotFoundHandler((request, reply) => {
            void reply.status(404).send(surface.errorBody('ENDPOINT_NOT_FOUND', `No ${request.method} endpoint at ${request.url.split('?')[0]}`));
          });
        }
        const add = (target: FastifyInstance, route: Route) => target.route({
          method: route.method as Method | Method[],
          url: route.path,
          ...(route.schema ? routeSchemaOptions(route, surface, options) : {}),
          handler: async (request, reply) => {
            // Services note what they changed (object, before/after) for the audit log written when the response is sent.
            const result = await collectChanges(request.auditNotes, () => route.handler({
              actor: request.actor,
              body: request.body,
              query: request.query,
              params: request.params as Record<string, string>,
              headers: request.headers,
              request,
              reply,
            }));
            // Fastify's way to say the reply is already on its way from an async handler: return it.
            if (result === SENT) return reply;
            return reply.send(result ?? {});
          },
        });
        for (const route of surface.routes) if (!route.rawBody) add(scope, route);
        const raw = surface.routes.filter((route) => route.rawBody);
        // Uploads get a scope of their own (same prefix, error handler and hooks) where no parser reads the body.
        if (raw.length > 0) {
          void scope.register(async (uploads) => {
            uploads.removeAllContentTypeParsers();
            uploads.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
            for (const route of raw) add(uploads, route);
          });
        }
      },
      { prefix: prefix },
    );
  }
}

/** The first path segment names the group a route is listed under in the API reference (`/runs/:id` → runs). */
export const groupOf = (path: string) => path.split('/').find((seg) => seg !== '' && !seg.startsWith(':')) ?? 'system';

/**
 * Handlers validate their own input with `parse` (so errors keep the surface's shape and name the field);
 * fastify gets the schemas for the description only, and for checking replies when asked to.
 */
function routeSchemaOptions(route: Route, surface: Surface, options: SurfaceOptions) {
  const { summary, description, tags, params, querystring, body, response } = route.schema!;
  const replies: Record<string, z.ZodType | ContentReply | MediaTypes> = { ...response };
  if (surface.errorSchema) replies['4xx'] = replies['5xx'] = surface.errorSchema;
  return {
    // Only the parts a route has: fastify warns about a key that is present but undefined.
    schema: Object.fromEntries(Object.entries({ summary, description, params, querystring, body, tags: [...(tags ?? [groupOf(route.path)])], response: replies }).filter(([, v]) => v !== undefined)),
    validatorCompiler: () => (value: unknown) => ({ value }),
    serializerCompiler: ({ schema }: { schema: unknown }) => {
      const replySchema = schema as z.ZodType;
      return options.checkReplies
        ? (data: unknown) => {
            // The JSON text is what clients get, so that is what must match, field for field: nothing the schema
            // does not declare (it would drop it) and nothing it would only fill in from a default.
            const text = JSON.stringify(data);
            const wire: unknown = JSON.parse(text);
            const parsed = replySchema.safeParse(wire);
            const issue = parsed.success ? firstDifference(wire, parsed.data) : parsed.error.issues[0];
            if (issue) throw new ReplyMismatchError(route, issue);
            return text;
          }
        : (data: unknown) => JSON.stringify(data);
    },
  };
}

interface Mismatch {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** Where a schema's reading of a reply differs from the reply itself: a field it does not declare, or one it made up. */
function firstDifference(wire: unknown, read: unknown, path: readonly PropertyKey[] = []): Mismatch | undefined {
  if (typeof wire !== 'object' || wire === null || typeof read !== 'object' || read === null) {
    return Object.is(wire, read) ? undefined : { path, message: `read as ${JSON.stringify(read)}` };
  }
  const w = wire as Record<string, unknown>;
  const r = read as Record<string, unknown>;
  for (const key of Object.keys(w)) {
    if (!(key in r)) return { path: [...path, key], message: 'not declared' };
    const d = firstDifference(w[key], r[key], [...path, key]);
    if (d) return d;
  }
  const added = Object.keys(r).find((key) => !(key in w) && r[key] !== undefined);
  return added === undefined ? undefined : { path: [...path, added], message: 'absent, but filled in by a default of the schema' };
}

class ReplyMismatchError extends Error {
  constructor(route: Route, issue: Mismatch) {
    super(`reply of ${String(route.method)} ${route.path} does not match its declared schema at '${issue.path.map(String).join('.')}': ${issue.message}`);
  }
}
