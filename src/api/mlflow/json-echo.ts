import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * MLflow's server echoes a wrong value back as Python's `json.dumps` writes what `json.loads` read: a number
 * written with a fraction or an exponent is a float there, so `9.0` comes back as `9.0` (and `1e-7` as `1e-07`),
 * while JavaScript's JSON.parse keeps no trace of how a number was written. The MLflow surface keeps each JSON
 * body's text for the length of the request, and an error about a number field reads the number's spelling from it.
 */
const bodyTexts = new WeakMap<FastifyRequest, string>();

/** Fastify's own JSON parsing (same limits and prototype-poisoning checks), remembering the text it parsed. */
export function keepJsonText(scope: FastifyInstance): void {
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    bodyTexts.set(request, body as string);
    parseJson(request, body as string, done);
  });
}

const WS = /[ \t\n\r]*/y;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\]|\\.)*"/y;

const skipSpace = (text: string, at: number) => {
  WS.lastIndex = at;
  WS.exec(text);
  return WS.lastIndex;
};

function match(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[0];
}

/** Where the JSON value starting at `at` (after blanks) ends; the text is known to be valid JSON. */
function skipValue(text: string, at: number): number {
  const i = skipSpace(text, at);
  const c = text[i];
  if (c === '"') return i + match(STRING, text, i)!.length;
  if (c === '{' || c === '[') {
    let j = skipSpace(text, i + 1);
    if (text[j] === (c === '{' ? '}' : ']')) return j + 1;
    for (;;) {
      if (c === '{') j = skipSpace(text, skipValue(text, j)) + 1; // key and colon
      j = skipSpace(text, skipValue(text, j));
      if (text[j++] !== ',') return j;
    }
  }
  const literal = match(NUMBER, text, i) ?? /^(true|false|null)/.exec(text.slice(i, i + 5))![0];
  return i + literal.length;
}

/** The text of the value at `path` in a JSON document (the last of duplicate keys, as both parsers keep), if present. */
export function jsonTextAt(text: string, path: readonly PropertyKey[]): string | undefined {
  let at = skipSpace(text, 0);
  for (const key of path) {
    const open = text[at];
    let found: number | undefined;
    let index = 0;
    let j = skipSpace(text, at + 1);
    if (open === '{' && text[j] !== '}') {
      for (;;) {
        const name = JSON.parse(match(STRING, text, j)!) as string;
        const valueAt = skipSpace(text, skipSpace(text, j + match(STRING, text, j)!.length) + 1);
        if (name === String(key)) found = valueAt;
        j = skipSpace(text, skipValue(text, valueAt));
        if (text[j++] !== ',') break;
        j = skipSpace(text, j);
      }
    } else if (open === '[' && text[j] !== ']') {
      for (;;) {
        if (index++ === Number(key)) found = j;
        j = skipSpace(text, skipValue(text, j));
        if (text[j++] !== ',') break;
        j = skipSpace(text, j);
      }
    }
    if (found === undefined) return undefined;
    at = found;
  }
  return text.slice(at, skipValue(text, at));
}

/** Python's repr of a float (shortest round-trip digits; exponent form below 1e-4 and from 1e16, two exponent digits at least). */
export function pythonFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  const [mantissa, exponentText] = x.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const digits = mantissa.replace(/[-.]/g, '');
  if (exponent < -4 || exponent >= 16) {
    const e = Math.abs(exponent).toString().padStart(2, '0');
    return `${sign}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${exponent < 0 ? '-' : '+'}${e}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  return `${sign}${digits.slice(0, exponent + 1).padEnd(exponent + 1, '0')}.${digits.slice(exponent + 1) || '0'}`;
}

/** A number field's value as MLflow's server would echo it, from the request's JSON text; undefined when it cannot tell. */
export function pythonEchoOfNumber(request: FastifyRequest | undefined, path: readonly PropertyKey[], value: number): string | undefined {
  const text = request ? bodyTexts.get(request) : undefined;
  if (text === undefined) return undefined;
  let lexeme: string | undefined;
  try {
    lexeme = jsonTextAt(text, path);
  } catch {
    return undefined;
  }
  const number = lexeme === undefined ? undefined : match(NUMBER, lexeme, 0);
  if (number === undefined || number !== lexeme) return undefined;
  // An integer keeps every digit in Python; `-0` reads as 0.
  return /[.eE]/.test(number) ? pythonFloat(value) : BigInt(number).toString();
}
