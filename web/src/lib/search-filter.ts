/**
 * The runs search grammar of the server (src/domain/tracking/search-filter.ts and search-rules.ts), ported
 * so the filter box can point at a mistake while the user types. Every error carries the span of input it
 * is about. The server stays the judge: its 400 message is shown too when it disagrees.
 */
export type Entity = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';
export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';
export type FilterValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'list'; readonly value: readonly string[] };

export interface Comparison {
  readonly entity: Entity;
  readonly key: string;
  readonly comparator: Comparator;
  readonly value: FilterValue;
  /** Where the comparison is in the input: [start, end). */
  readonly start: number;
  readonly end: number;
}

export interface OrderClause {
  readonly entity: Entity;
  readonly key: string;
  readonly ascending: boolean;
}

export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

const ENTITY_ALIASES: Record<string, Entity> = {
  metric: 'metric', metrics: 'metric',
  param: 'param', params: 'param', parameter: 'param', parameters: 'param',
  tag: 'tag', tags: 'tag',
  attribute: 'attribute', attributes: 'attribute', attr: 'attribute', attrs: 'attribute', run: 'attribute',
  dataset: 'dataset', datasets: 'dataset',
};

type Token =
  | { kind: 'word'; text: string; pos: number; end: number }
  | { kind: 'quoted'; text: string; quote: string; pos: number; end: number }
  | { kind: 'number'; text: string; pos: number; end: number }
  | { kind: 'op'; text: string; pos: number; end: number }
  | { kind: 'punct'; text: '(' | ')' | ',' | '.'; pos: number; end: number };

const WORD_CHAR = /[A-Za-z0-9_\-/:]/;

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (/\s/.test(ch)) { i++; continue; }
    const start = i;
    if (ch === "'" || ch === '"' || ch === '`') {
      let text = '';
      i++;
      for (;;) {
        if (i >= input.length) throw new FilterSyntaxError(`Unterminated ${ch} quote at position ${start}`, start, input.length);
        const c = input[i]!;
        if (c === ch) {
          if (input[i + 1] === ch) { text += ch; i += 2; continue; }
          i++;
          break;
        }
        if (c === '\\' && i + 1 < input.length && (input[i + 1] === ch || input[i + 1] === '\\')) { text += input[i + 1]; i += 2; continue; }
        text += c;
        i++;
      }
      tokens.push({ kind: 'quoted', text, quote: ch, pos: start, end: i });
      continue;
    }
    const num = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(input.slice(i));
    const prev = tokens[tokens.length - 1];
    if (num && !(prev && prev.kind === 'punct' && prev.text === '.')) {
      const after = input[i + num[0].length];
      if (after === undefined || !/[A-Za-z_]/.test(after)) {
        i += num[0].length;
        tokens.push({ kind: 'number', text: num[0], pos: start, end: i });
        continue;
      }
    }
    const two = input.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=' || two === '<>' || two === '==') {
      i += 2;
      tokens.push({ kind: 'op', text: two === '<>' ? '!=' : two === '==' ? '=' : two, pos: start, end: i });
      continue;
    }
    if (ch === '=' || ch === '<' || ch === '>') {
      i++;
      tokens.push({ kind: 'op', text: ch, pos: start, end: i });
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',' || ch === '.') {
      i++;
      tokens.push({ kind: 'punct', text: ch, pos: start, end: i });
      continue;
    }
    if (WORD_CHAR.test(ch)) {
      while (i < input.length && WORD_CHAR.test(input[i]!)) i++;
      tokens.push({ kind: 'word', text: input.slice(start, i), pos: start, end: i });
      continue;
    }
    throw new FilterSyntaxError(`Unexpected character '${ch}' at position ${start}`, start, start + 1);
  }
  return tokens;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly inputLength: number,
  ) {}

  done(): boolean {
    return this.i >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.i];
  }

  /** End of the last consumed token. */
  get position(): number {
    return this.tokens[this.i - 1]?.end ?? 0;
  }

  next(expected: string): Token {
    const t = this.tokens[this.i++];
    if (!t) this.fail(undefined, expected);
    return t;
  }

  fail(t: Token | undefined, expected: string): never {
    if (!t) throw new FilterSyntaxError(`Expected ${expected} at end of input`, this.inputLength, this.inputLength);
    throw new FilterSyntaxError(`Expected ${expected} at position ${t.pos}, found '${t.text}'`, t.pos, t.end);
  }

  isWord(t: Token | undefined, word: string): boolean {
    return t?.kind === 'word' && t.text.toUpperCase() === word;
  }

  private isDot(t: Token | undefined): boolean {
    return t?.kind === 'punct' && t.text === '.';
  }

  identifier(): { entity: Entity; key: string; start: number } {
    const first = this.next('an identifier');
    if (first.kind === 'quoted' && first.quote !== "'") return { entity: 'attribute', key: first.text, start: first.pos };
    if (first.kind !== 'word') this.fail(first, 'an identifier');
    if (!this.isDot(this.peek())) return { entity: 'attribute', key: first.text, start: first.pos };
    this.i++;
    const entity = ENTITY_ALIASES[first.text.toLowerCase()];
    if (!entity) {
      throw new FilterSyntaxError(
        `Unknown entity type '${first.text}' at position ${first.pos}; expected metrics, params, tags, attributes or datasets`, first.pos, first.end);
    }
    const keyTok = this.next('a key');
    if (keyTok.kind === 'quoted' && keyTok.quote !== "'") return { entity, key: keyTok.text, start: first.pos };
    if (keyTok.kind !== 'word' && keyTok.kind !== 'number') this.fail(keyTok, 'a key');
    let key = keyTok.text;
    while (this.isDot(this.peek())) {
      this.i++;
      const part = this.next('a key');
      if (part.kind !== 'word' && part.kind !== 'number') this.fail(part, 'a key');
      key += `.${part.text}`;
    }
    return { entity, key, start: first.pos };
  }

  comparator(): Comparator {
    const expected = 'a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN)';
    const t = this.next(expected);
    if (t.kind === 'op') return t.text as Comparator;
    if (t.kind === 'word') {
      const w = t.text.toUpperCase();
      if (w === 'LIKE' || w === 'ILIKE' || w === 'IN') return w;
      if (w === 'NOT' && this.isWord(this.peek(), 'IN')) {
        this.i++;
        return 'NOT IN';
      }
    }
    return this.fail(t, expected);
  }

  value(comparator: Comparator): FilterValue {
    if (comparator === 'IN' || comparator === 'NOT IN') {
      const open = this.next("'(' after IN");
      if (!(open.kind === 'punct' && open.text === '(')) this.fail(open, "'(' after IN");
      const values: string[] = [];
      for (;;) {
        const v = this.next('a quoted string in the IN list');
        if (v.kind === 'quoted' && v.quote !== '`') values.push(v.text);
        else if (v.kind === 'number') values.push(v.text);
        else this.fail(v, 'a quoted string in the IN list');
        const sep = this.next("',' or ')'");
        if (sep.kind === 'punct' && sep.text === ')') break;
        if (!(sep.kind === 'punct' && sep.text === ',')) this.fail(sep, "',' or ')'");
      }
      return { kind: 'list', value: values };
    }
    const expected = 'a value (a number or a quoted string)';
    const t = this.next(expected);
    if (t.kind === 'number') return { kind: 'number', value: Number(t.text) };
    if (t.kind === 'quoted' && t.quote !== '`') return { kind: 'string', value: t.text };
    return this.fail(t, expected);
  }
}

export function parseFilter(filter: string): Comparison[] {
  if (!filter.trim()) return [];
  const p = new Parser(tokenize(filter), filter.length);
  const out: Comparison[] = [];
  for (;;) {
    const { entity, key, start } = p.identifier();
    const comparator = p.comparator();
    const value = p.value(comparator);
    out.push({ entity, key, comparator, value, start, end: p.position });
    if (p.done()) return out;
    const t = p.next('AND');
    if (p.isWord(t, 'OR')) throw new FilterSyntaxError(`OR is not supported (position ${t.pos}); combine conditions with AND`, t.pos, t.end);
    if (!p.isWord(t, 'AND')) p.fail(t, 'AND');
  }
}

export function parseOrderBy(clause: string): OrderClause {
  const p = new Parser(tokenize(clause), clause.length);
  const { entity, key } = p.identifier();
  let ascending = true;
  if (!p.done()) {
    const t = p.next('ASC or DESC');
    if (p.isWord(t, 'DESC')) ascending = false;
    else if (!p.isWord(t, 'ASC')) p.fail(t, 'ASC or DESC');
  }
  if (!p.done()) p.fail(p.peek(), 'end of order_by clause');
  return { entity, key, ascending };
}

const NUMERIC: readonly Comparator[] = ['=', '!=', '<', '<=', '>', '>='];
const STRING: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
export const RUN_NUMERIC_ATTRIBUTES: readonly string[] = ['start_time', 'end_time', 'created', 'Created'];
export const RUN_STRING_ATTRIBUTES: readonly string[] = ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage'];
const DATASET_KEYS: readonly string[] = ['name', 'digest', 'context'];

function runKind(c: Comparison): ['numeric' | 'string', string] {
  const fail = (message: string): never => {
    throw new FilterSyntaxError(message, c.start, c.end);
  };
  switch (c.entity) {
    case 'metric':
      return ['numeric', 'metric'];
    case 'param':
      return ['string', 'param'];
    case 'tag':
      return ['string', 'tag'];
    case 'dataset':
      if (!DATASET_KEYS.includes(c.key)) fail(`Invalid dataset key '${c.key}'; valid keys: ${DATASET_KEYS.join(', ')}`);
      return ['string', 'dataset attribute'];
    case 'attribute':
      if (RUN_NUMERIC_ATTRIBUTES.includes(c.key)) return ['numeric', 'attribute'];
      if (RUN_STRING_ATTRIBUTES.includes(c.key)) return ['string', 'attribute'];
      return fail(`Invalid attribute key '${c.key}' specified. Valid keys are: ${[...RUN_STRING_ATTRIBUTES, ...RUN_NUMERIC_ATTRIBUTES].join(', ')}`);
  }
}

/** The whole runs filter: grammar, then which entities, comparators and value types go together. */
export function parseRunFilter(filter: string): Comparison[] {
  const comparisons = parseFilter(filter);
  for (const c of comparisons) {
    const [kind, what] = runKind(c);
    const allowed = kind === 'numeric' ? NUMERIC : STRING;
    if (!allowed.includes(c.comparator)) {
      throw new FilterSyntaxError(`Invalid comparator '${c.comparator}' for ${what} '${c.key}'; allowed: ${allowed.join(', ')}`, c.start, c.end);
    }
    if (c.comparator === 'IN' || c.comparator === 'NOT IN') continue;
    if (kind === 'numeric' && c.value.kind !== 'number') {
      throw new FilterSyntaxError(`Expected a numeric value for ${what} '${c.key}', got '${String(c.value.value)}'`, c.start, c.end);
    }
    if (kind === 'string' && c.value.kind !== 'string') {
      throw new FilterSyntaxError(
        `Expected a quoted string value for ${what} '${c.key}' (e.g. ${c.key} = '${String(c.value.value)}')`, c.start, c.end);
    }
  }
  return comparisons;
}

export type FilterCheck = { readonly ok: true; readonly comparisons: Comparison[] } | { readonly ok: false; readonly error: FilterSyntaxError };

export function checkRunFilter(filter: string): FilterCheck {
  try {
    return { ok: true, comparisons: parseRunFilter(filter) };
  } catch (err) {
    if (err instanceof FilterSyntaxError) return { ok: false, error: err };
    throw err;
  }
}

/** A backquoted identifier when the key is not a plain word, as the grammar requires. */
export function identifier(entity: 'metrics' | 'params' | 'tags' | 'attributes', key: string): string {
  return /^[A-Za-z0-9_\-/:.]+$/.test(key) && !/^\d/.test(key) ? `${entity}.${key}` : `${entity}.\`${key.replace(/`/g, '``')}\``;
}
