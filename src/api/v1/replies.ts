import { z } from 'zod';

/**
 * Reply shapes shared by the native API's route tables. Each module's reply schemas live beside its routes;
 * the compile-time `Described` check ties a schema to the domain type it describes, so a field added to the
 * type without its schema (or the other way round) fails the typecheck.
 */
export type Described<Schema extends z.ZodType, Domain> = [z.output<Schema>] extends [WireOf<Domain>]
  ? [WireOf<Domain>] extends [z.output<Schema>] ? Schema : never
  : never;

/**
 * A domain type as it crosses the wire: readonly dropped, numbers that may be NaN/±Infinity left as they are,
 * and a property that may be undefined optional (JSON leaves it out); index signatures (records) stay as they are.
 */
/** (A mapped type keeps arrays arrays and tuples tuples.) */
type WireOf<T> = T extends readonly unknown[] ? { -readonly [K in keyof T]: WireOf<T[K]> } : T extends object ? WireObject<T> : T;
type MaybeAbsent<T> = Exclude<{ [K in keyof T]: string extends K ? never : number extends K ? never : Record<never, never> extends Pick<T, K> ? K : unknown extends T[K] ? never : undefined extends T[K] ? K : never }[keyof T], undefined>;
type WireObject<T> = { -readonly [K in Exclude<keyof T, MaybeAbsent<T>>]: WireOf<T[K]> } & { -readonly [K in MaybeAbsent<T>]?: WireOf<Exclude<T[K], undefined>> };

export const described = <Domain>() => <Schema extends z.ZodType>(schema: Schema & Described<Schema, Domain>): Schema => schema;

export const KeyValueOut = z.object({ key: z.string(), value: z.string() }).meta({ id: 'KeyValue' });

/** A page of results: `nextPageToken` is present when there is more, to be sent back as `pageToken`. */
export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextPageToken: z.string().optional() });

export const Empty = z.object({}).describe('an empty object');

/** Metric values that JSON cannot carry (NaN, ±Infinity) are sent as those strings, as MLflow does. */
export const MetricValueOut = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);

/** A reply (or body) that is not JSON, or not only JSON, described per media type. */
export const media = (content: Record<string, z.ZodType>, description?: string) => ({
  ...(description !== undefined ? { description } : {}),
  content: Object.fromEntries(Object.entries(content).map(([type, schema]) => [type, { schema }])),
});

/** A self-contained HTML report (styles inline, nothing fetched), for a browser or a CI artifact. */
export const HtmlReport = media({ 'text/html': z.string() }, 'a self-contained HTML page');

/** A listing that is not paged: every item at once. */
export const items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
