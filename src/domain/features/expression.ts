import { invalid } from '../../core/errors.js';

/**
 * The on-demand transformation language: numbers, feature names, + - * /, unary minus, parentheses and the
 * functions coalesce, abs, least, greatest. One parse, two back ends: SQL for DuckDB (training sets, skew checks)
 * and a JavaScript evaluator (online reads), with the same rules — every value a double, null in gives null out,
 * division by zero gives null, least/greatest skip nulls. A property test holds them equal on generated rows.
 */
export type Expr =
  | { readonly op: 'num'; readonly value: number }
  | { readonly op: 'ref'; readonly name: string }
  | { readonly op: 'neg'; readonly arg: Expr }
  | { readonly op: '+' | '-' | '*' | '/'; readonly left: Expr; readonly right: Expr }
  | { readonly op: 'call'; readonly fn: Fn; readonly args: readonly Expr[] };

const FNS = ['coalesce', 'abs', 'least', 'greatest'] as const;
type Fn = (typeof FNS)[number];
const ARITY: Record<Fn, [number, number]> = { coalesce: [1, 16], abs: [1, 1], least: [1, 16], greatest: [1, 16] };

const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/(),]))/y;

export function parseExpression(text: string): Expr {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw invalid(`Expression '${text}': unexpected '${text.slice(at).trim()[0]}' at ${at + 1}; allowed are numbers, feature names, + - * /, parentheses and ${FNS.join(', ')}`);
    tokens.push(m[1] ?? m[2] ?? m[3]!);
    at = TOKEN.lastIndex;
  }
  let i = 0;
  const peek = () => tokens[i];
  const expect = (t: string) => {
    if (tokens[i] !== t) throw invalid(`Expression '${text}': expected '${t}'${tokens[i] === undefined ? ' at the end' : ` before '${tokens[i]}'`}`);
    i++;
  };
  const sum = (): Expr => {
    let left = product();
    while (peek() === '+' || peek() === '-') {
      const op = tokens[i++] as '+' | '-';
      left = { op, left, right: product() };
    }
    return left;
  };
  const product = (): Expr => {
    let left = unary();
    while (peek() === '*' || peek() === '/') {
      const op = tokens[i++] as '*' | '/';
      left = { op, left, right: unary() };
    }
    return left;
  };
  const unary = (): Expr => {
    if (peek() === '-') {
      i++;
      return { op: 'neg', arg: unary() };
    }
    return primary();
  };
  const primary = (): Expr => {
    const t = tokens[i++];
    if (t === undefined) throw invalid(`Expression '${text}' ends too early`);
    if (t === '(') {
      const e = sum();
      expect(')');
      return e;
    }
    if (/^\d/.test(t)) return { op: 'num', value: Number(t) };
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() !== '(') return { op: 'ref', name: t };
      const fn = t.toLowerCase() as Fn;
      if (!FNS.includes(fn)) throw invalid(`Expression '${text}': unknown function '${t}'; use ${FNS.join(', ')}`);
      i++;
      const args: Expr[] = [sum()];
      while (peek() === ',') {
        i++;
        args.push(sum());
      }
      expect(')');
      const [min, max] = ARITY[fn];
      if (args.length < min || args.length > max) throw invalid(`Expression '${text}': ${fn} takes ${min === max ? min : `${min} to ${max}`} argument(s)`);
      return { op: 'call', fn, args };
    }
    throw invalid(`Expression '${text}': unexpected '${t}'`);
  };
  if (tokens.length === 0) throw invalid('An expression is empty');
  const e = sum();
  if (i < tokens.length) throw invalid(`Expression '${text}': unexpected '${tokens[i]}'`);
  return e;
}

/** The feature names an expression reads. */
export function references(e: Expr): string[] {
  switch (e.op) {
    case 'num': return [];
    case 'ref': return [e.name];
    case 'neg': return references(e.arg);
    case 'call': return [...new Set(e.args.flatMap(references))];
    default: return [...new Set([...references(e.left), ...references(e.right)])];
  }
}

/**
 * DuckDB SQL; `column` turns a feature name into the (quoted) column it is read from. Inside the expression both paths
 * follow IEEE 754 (DuckDB's DOUBLE does); a result that is not a finite number (an overflow, a division by a subnormal,
 * infinity minus infinity) is null, since JSON and Parquet consumers have no common spelling for it.
 */
export function toSql(e: Expr, column: (name: string) => string): string {
  const sql = (x: Expr): string => {
    switch (x.op) {
      case 'num': return `CAST(${String(x.value)} AS DOUBLE)`;
      case 'ref': return `CAST(${column(x.name)} AS DOUBLE)`;
      case 'neg': return `(-${sql(x.arg)})`;
      case 'call': return `${x.fn.toUpperCase()}(${x.args.map(sql).join(', ')})`;
      case '/': return `(${sql(x.left)} / NULLIF(${sql(x.right)}, 0))`;
      default: return `(${sql(x.left)} ${x.op} ${sql(x.right)})`;
    }
  };
  const whole = sql(e);
  return `(CASE WHEN isfinite(${whole}) THEN ${whole} END)`;
}

/** DuckDB's order of doubles: NaN above everything (so LEAST skips it and GREATEST returns it). */
const above = (a: number, b: number): boolean => (Number.isNaN(a) ? !Number.isNaN(b) : a > b);

const num = (v: unknown): number | null => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isNaN(n) && typeof v !== 'number' ? null : n;
};

/** The same expression over one entity's values (online path). */
export function evaluate(e: Expr, values: Readonly<Record<string, unknown>>): number | null {
  const ev = (x: Expr): number | null => {
    switch (x.op) {
      case 'num': return x.value;
      case 'ref': return num(values[x.name]);
      case 'neg': {
        const a = ev(x.arg);
        return a === null ? null : -a;
      }
      case 'call': {
        const args = x.args.map(ev);
        if (x.fn === 'abs') return args[0] === null ? null : Math.abs(args[0]!);
        if (x.fn === 'coalesce') return args.find((a) => a !== null) ?? null;
        const present = args.filter((a): a is number => a !== null);
        if (present.length === 0) return null;
        return x.fn === 'least' ? present.reduce((m, a) => (above(m, a) ? a : m)) : present.reduce((m, a) => (above(a, m) ? a : m));
      }
      default: {
        const a = ev(x.left);
        const b = ev(x.right);
        if (a === null || b === null) return null;
        if (x.op === '/') return b === 0 ? null : a / b;
        return x.op === '+' ? a + b : x.op === '-' ? a - b : a * b;
      }
    }
  };
  const result = ev(e);
  return result !== null && Number.isFinite(result) ? result : null;
}
