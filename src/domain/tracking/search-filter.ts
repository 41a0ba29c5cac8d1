import { invalid } from '../../core/errors.js';

/**
 * MLflow's search grammar: `metrics.acc > 0.9 and params.lr = '0.01' and tags.`team` LIKE '%ml%'`.
 * A filter is a conjunction of comparisons (MLflow has no OR); order_by is `<identifier> [ASC|DESC]`.
 * Parsing is generic; which entities, keys and comparators a search accepts is decided by its caller.
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
}

export interface OrderClause {
  readonly entity: Entity;
  readonly key: string;
  readonly ascending: boolean;
}

const ENTITY_ALIASES: Record<string, Entity> = {
  metric: 'metric', metrics: 'metric',
  param: 'param', params: 'param', parameter: 'param', parameters: 'param',
  tag: 'tag', tags: 'tag',
  attribute: 'attribute', attributes: 'attribute', attr: 'attribute', attrs: 'attribute', run: 'attribute',
  dataset: 'dataset', datasets: 'dataset',
};

type Token =
  | { kind: 'word'; text: string; pos: number }
  | { kind: 'quoted'; text: string; quote: string; pos: number }
  | { kind: 'number'; text: string; pos: number }
  | { kind: 'op'; text: string; pos: number }
  | { kind: 'punct'; text: '(' | ')' | ',' | '.'; pos: number };

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
        if (i >= input.length) throw invalid(`Invalid filter: unterminated ${ch} quote at position ${start}`);
        const c = input[i]!;
        if (c === ch) {
          // SQL-style escaping of the quote character by doubling it.
          if (input[i + 1] === ch) { text += ch; i += 2; continue; }
          i++;
          break;
        }
        if (c === '\\' && i + 1 < input.length && (input[i + 1] === ch || input[i + 1] === '\\')) { text += input[i + 1]; i += 2; continue; }
        text += c;
        i++;
      }
      tokens.push({ kind: 'quoted', text, quote: ch, pos: start });
      continue;
    }
    const num = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(input.slice(i));
    const prev = tokens[tokens.length - 1];
    if (num && !(prev && prev.kind === 'punct' && prev.text === '.')) {
      const after = input[i + num[0].length];
      if (after === undefined || !/[A-Za-z_]/.test(after)) {
        tokens.push({ kind: 'number', text: num[0], pos: start });
        i += num[0].length;
        continue;
      }
    }
    const two = input.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=' || two === '<>') {
      tokens.push({ kind: 'op', text: two === '<>' ? '!=' : two, pos: start });
      i += 2;
      continue;
    }
    if (ch === '=' || ch === '<' || ch === '>') {
      tokens.push({ kind: 'op', text: ch === '=' && input[i + 1] === '=' ? '=' : ch, pos: start });
      i += ch === '=' && input[i + 1] === '=' ? 2 : 1;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',' || ch === '.') {
      tokens.push({ kind: 'punct', text: ch, pos: start });
      i++;
      continue;
    }
    if (WORD_CHAR.test(ch)) {
      while (i < input.length && WORD_CHAR.test(input[i]!)) i++;
      tokens.push({ kind: 'word', text: input.slice(start, i), pos: start });
      continue;
    }
    throw invalid(`Invalid filter: unexpected character '${ch}' at position ${start}`);
  }
  return tokens;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly what: string,
  ) {}

  done(): boolean {
    return this.i >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.i];
  }

  next(): Token {
    const t = this.tokens[this.i++];
    if (!t) throw invalid(`Invalid ${this.what}: unexpected end of input`);
    return t;
  }

  fail(t: Token | undefined, expected: string): never {
    if (!t) throw invalid(`Invalid ${this.what}: expected ${expected} at end of input`);
    throw invalid(`Invalid ${this.what}: expected ${expected} at position ${t.pos}, found '${t.text}'`);
  }

  isWord(t: Token | undefined, word: string): boolean {
    return t?.kind === 'word' && t.text.toUpperCase() === word;
  }

  /** `entity.key`, where key may be quoted and may itself contain dots (split on the first dot only). */
  identifier(): { entity: Entity; key: string } {
    const first = this.next();
    if (first.kind === 'quoted' && first.quote !== "'") return { entity: 'attribute', key: first.text };
    if (first.kind !== 'word') this.fail(first, 'an identifier');
    const dot = this.peek();
    if (!(dot?.kind === 'punct' && dot.text === '.')) return { entity: 'attribute', key: first.text };
    this.i++;
    const entity = this.entity(first.text, first);
    const keyTok = this.next();
    if (keyTok.kind === 'quoted' && keyTok.quote !== "'") return { entity, key: keyTok.text };
    if (keyTok.kind !== 'word' && keyTok.kind !== 'number') this.fail(keyTok, 'a key');
    // Unquoted keys may contain dots: `params.optimizer.lr` means the key `optimizer.lr`.
    let key = keyTok.text;
    while (this.peek()?.kind === 'punct' && this.peek()!.text === '.') {
      this.i++;
      const part = this.next();
      if (part.kind !== 'word' && part.kind !== 'number') this.fail(part, 'a key');
      key += `.${part.text}`;
    }
    return { entity, key };
  }

  private entity(name: string, tok: Token): Entity {
    const entity = ENTITY_ALIASES[name.toLowerCase()];
    if (!entity) {
      throw invalid(
        `Invalid ${this.what}: unknown entity type '${name}' at position ${tok.pos}; expected metrics, params, tags, attributes or datasets`,
      );
    }
    return entity;
  }

  comparator(): Comparator {
    const t = this.next();
    if (t.kind === 'op') return t.text as Comparator;
    if (t.kind === 'word') {
      const w = t.text.toUpperCase();
      if (w === 'LIKE' || w === 'ILIKE' || w === 'IN') return w;
      if (w === 'NOT' && this.isWord(this.peek(), 'IN')) {
        this.i++;
        return 'NOT IN';
      }
    }
    return this.fail(t, 'a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN)');
  }

  value(comparator: Comparator): FilterValue {
    if (comparator === 'IN' || comparator === 'NOT IN') {
      const open = this.next();
      if (!(open.kind === 'punct' && open.text === '(')) this.fail(open, "'(' after IN");
      const values: string[] = [];
      for (;;) {
        const v = this.next();
        if (v.kind === 'quoted' && v.quote !== '`') values.push(v.text);
        else if (v.kind === 'number') values.push(v.text);
        else this.fail(v, 'a quoted string in the IN list');
        const sep = this.next();
        if (sep.kind === 'punct' && sep.text === ')') break;
        if (!(sep.kind === 'punct' && sep.text === ',')) this.fail(sep, "',' or ')'");
      }
      return { kind: 'list', value: values };
    }
    const t = this.next();
    if (t.kind === 'number') return { kind: 'number', value: Number(t.text) };
    if (t.kind === 'quoted' && t.quote !== '`') return { kind: 'string', value: t.text };
    return this.fail(t, 'a value (a number or a quoted string)');
  }
}

export function parseFilter(filter: string | undefined | null): Comparison[] {
  if (!filter || !filter.trim()) return [];
  const p = new Parser(tokenize(filter), 'filter');
  const out: Comparison[] = [];
  for (;;) {
    const { entity, key } = p.identifier();
    const comparator = p.comparator();
    const value = p.value(comparator);
    out.push({ entity, key, comparator, value });
    if (p.done()) return out;
    const t = p.next();
    if (p.isWord(t, 'OR')) throw invalid(`Invalid filter: OR is not supported (position ${t.pos}); combine conditions with AND`);
    if (!p.isWord(t, 'AND')) p.fail(t, 'AND');
  }
}

export function parseOrderBy(clause: string): OrderClause {
  const p = new Parser(tokenize(clause), 'order_by');
  const { entity, key } = p.identifier();
  let ascending = true;
  if (!p.done()) {
    const t = p.next();
    if (p.isWord(t, 'DESC')) ascending = false;
    else if (!p.isWord(t, 'ASC')) p.fail(t, 'ASC or DESC');
  }
  if (!p.done()) p.fail(p.peek(), 'end of order_by clause');
  return { entity, key, ascending };
}
