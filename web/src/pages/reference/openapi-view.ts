/** The parts of an OpenAPI 3.1 document the reference page shows, and a compact type notation for schemas. */
export interface JsonSchema {
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly description?: string;
  readonly additionalProperties?: JsonSchema | boolean;
}

interface Parameter { readonly name: string; readonly in: string; readonly required?: boolean; readonly schema?: JsonSchema; readonly description?: string }
interface Content { readonly content?: Readonly<Record<string, { readonly schema?: JsonSchema }>>; readonly description?: string }
interface Operation {
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: Content;
  readonly responses?: Readonly<Record<string, Content>>;
}
export interface OpenApiDocument {
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components?: { readonly schemas?: Readonly<Record<string, JsonSchema>> };
}

export interface OperationView {
  readonly id: string;
  readonly method: string;
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly parameters: readonly { name: string; where: string; required: boolean; type: string }[];
  readonly body?: string;
  readonly responses: readonly { status: string; type: string }[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Writes a schema as a short TypeScript-like type: `{ name: string; tags?: KeyValue[] }`. */
export function typeOf(schema: JsonSchema | undefined, depth = 0): string {
  if (!schema) return 'unknown';
  if (schema.$ref) return schema.$ref.split('/').pop() ?? schema.$ref;
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map((s) => typeOf(s, depth)).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (type.includes('array')) return `${typeOf(schema.items, depth)}[]`;
  if (type.includes('object') || schema.properties) {
    const props = Object.entries(schema.properties ?? {});
    if (props.length === 0) return schema.additionalProperties && typeof schema.additionalProperties === 'object' ? `Record<string, ${typeOf(schema.additionalProperties, depth)}>` : '{}';
    if (depth > 2) return 'object';
    const required = new Set(schema.required ?? []);
    return `{ ${props.map(([k, v]) => `${k}${required.has(k) ? '' : '?'}: ${typeOf(v, depth + 1)}`).join('; ')} }`;
  }
  return type.filter(Boolean).join(' | ') || 'unknown';
}

const jsonSchemaOf = (c: Content | undefined) => c?.content?.['application/json']?.schema;

export function operationsOf(doc: OpenApiDocument): OperationView[] {
  const out: OperationView[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const body = jsonSchemaOf(op.requestBody);
      out.push({
        id: `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, '-'),
        method: method.toUpperCase(),
        path,
        tag: op.tags?.[0] ?? 'other',
        summary: op.summary ?? '',
        parameters: (op.parameters ?? []).map((p) => ({ name: p.name, where: p.in, required: p.required ?? false, type: typeOf(p.schema) })),
        ...(body ? { body: typeOf(body) } : {}),
        responses: Object.entries(op.responses ?? {}).map(([status, r]) => ({ status, type: typeOf(jsonSchemaOf(r)) })),
      });
    }
  }
  return out;
}
