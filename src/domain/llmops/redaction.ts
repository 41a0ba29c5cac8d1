/**
 * PII redaction for LLM traces: e-mail addresses, phone numbers, payment cards (Luhn), IBANs (ISO 13616 mod-97),
 * IPv4/IPv6 addresses and user-defined patterns. Candidates are found by patterns and then *validated* (checksums,
 * digit counts, address syntax through node:net), so a 16-digit order number or a date is not mistaken for a card
 * or a phone number. Pure: the server runs it before a trace is stored, the SDK before a request leaves.
 */
import { isIPv4, isIPv6 } from 'node:net';

export const PII_KINDS = ['email', 'phone', 'card', 'iban', 'ipv4', 'ipv6'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

/** A user-defined pattern: its name appears in the placeholder (`[REDACTED:EMPLOYEE_ID]`). */
export interface CustomPattern {
  readonly name: string;
  /** A JavaScript regular expression's source; matched globally. */
  readonly pattern: string;
  readonly flags?: string;
}

export interface RedactionOptions {
  /** Built-in detectors in use; all of them when absent. */
  readonly kinds?: readonly PiiKind[];
  readonly custom?: readonly CustomPattern[];
}

export interface Finding {
  readonly kind: string;
  readonly start: number;
  readonly end: number;
}

interface Detector {
  readonly kind: string;
  readonly pattern: RegExp;
  readonly valid?: (match: string) => boolean;
}

const digitsOf = (s: string) => s.replace(/\D/g, '');

/** Luhn's check (ISO/IEC 7812-1): doubling every second digit from the right, the sum is a multiple of 10. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** IBAN lengths by country (SWIFT's IBAN registry); a candidate of another length is not an IBAN. */
const IBAN_LENGTH: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28,
  EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26,
  IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18,
  NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24,
  TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

/** ISO 13616: move the first four characters to the end, letters to 10..35; the number mod 97 is 1. */
export function ibanValid(candidate: string): boolean {
  const iban = candidate.replace(/ /g, '').toUpperCase();
  if (IBAN_LENGTH[iban.slice(0, 2)] !== iban.length) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? code - 55 : code - 48;
    rest = (value > 9 ? rest * 100 + value : rest * 10 + value) % 97;
  }
  return rest === 1;
}

/** A date or time written with digits and separators is not a phone number. */
const DATE_LIKE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$/;

/** Four dotted groups of up to three digits read as an (invalid) IPv4 address or a version, not a phone number. */
const DOTTED_QUAD = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function phoneValid(match: string): boolean {
  const digits = digitsOf(match);
  if (DATE_LIKE.test(match.trim()) || DOTTED_QUAD.test(match.trim())) return false;
  // E.164 allows at most 15 digits; below 8 are extensions, counts and codes rather than reachable numbers.
  if (digits.length < 8 || digits.length > 15) return false;
  // A leading 00 is an international prefix only when the number is also written in groups (0049 30 …).
  const international = match.trimStart().startsWith('+');
  // Without a country prefix, a phone number is written in groups or starts with a trunk prefix/area code in
  // parentheses; a bare run of 8–15 digits is as likely an order or account number.
  const grouped = /[\s.()-]/.test(match.trim());
  return international || grouped;
}

const BUILT_IN: Readonly<Record<PiiKind, Detector>> = {
  email: { kind: 'email', pattern: /(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])/g },
  iban: { kind: 'iban', pattern: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])/g, valid: ibanValid },
  card: {
    kind: 'card',
    pattern: /(?<![\w.,-])\d(?:[ -]?\d){12,18}(?!\w|[.,-]\d)/g,
    valid: (m) => {
      const d = digitsOf(m);
      return d.length >= 13 && d.length <= 19 && luhnValid(d);
    },
  },
  ipv6: {
    kind: 'ipv6',
    pattern: /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])/g,
    valid: (m) => m.includes('::') || m.split(':').length >= 8 ? isIPv6(m) : false,
  },
  ipv4: { kind: 'ipv4', pattern: /(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d)/g, valid: isIPv4 },
  phone: {
    kind: 'phone',
    pattern: /(?<![\w+.,-])(?:(?:\+|00)\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,14}(?:[ .-]\d{1,8}){0,6}(?!\w|[.,-]\d)/g,
    valid: phoneValid,
  },
};

/** Earlier detectors win overlaps: an IBAN's digits are not also a phone number, a card's are not. */
const PRIORITY: readonly PiiKind[] = ['email', 'iban', 'card', 'ipv6', 'ipv4', 'phone'];

/** Whether [start, end) overlaps one of `sorted`'s (disjoint, in text order) findings. */
function overlapsAny(sorted: readonly Finding[], start: number, end: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  // The first finding that ends after `start`; only it can overlap.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.end <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo]!.start < end;
}

function merge(a: readonly Finding[], b: readonly Finding[]): Finding[] {
  const out: Finding[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) out.push(j >= b.length || (i < a.length && a[i]!.start < b[j]!.start) ? a[i++]! : b[j++]!);
  return out;
}

export const placeholder = (kind: string) => `[REDACTED:${kind.toUpperCase()}]`;

export class Redactor {
  private readonly detectors: Detector[];

  constructor(options: RedactionOptions = {}) {
    const kinds = new Set(options.kinds ?? PII_KINDS);
    const custom = (options.custom ?? []).map((c): Detector => {
      const flags = c.flags ?? '';
      return { kind: c.name, pattern: new RegExp(c.pattern, flags.includes('g') ? flags : `${flags}g`) };
    });
    // User-defined patterns first: they are the most specific thing the user knows about their data.
    this.detectors = [...custom, ...PRIORITY.filter((k) => kinds.has(k)).map((k) => BUILT_IN[k])];
  }

  /** Non-overlapping findings, in text order. */
  find(text: string): Finding[] {
    // Findings so far, in text order; a detector's matches never overlap each other, so each is checked against
    // the earlier detectors' findings alone (binary search) and the two sorted lists are merged after the pass.
    let taken: Finding[] = [];
    for (const d of this.detectors) {
      d.pattern.lastIndex = 0;
      const fresh: Finding[] = [];
      for (const m of text.matchAll(d.pattern)) {
        if (m[0].length === 0) continue;
        const start = m.index;
        const end = start + m[0].length;
        if (d.valid && !d.valid(m[0])) continue;
        if (overlapsAny(taken, start, end)) continue;
        fresh.push({ kind: d.kind, start, end });
      }
      if (fresh.length > 0) taken = merge(taken, fresh);
    }
    return taken;
  }

  redactText(text: string): { text: string; findings: Finding[] } {
    const findings = this.find(text);
    if (findings.length === 0) return { text, findings };
    let out = '';
    let at = 0;
    for (const f of findings) {
      out += text.slice(at, f.start) + placeholder(f.kind);
      at = f.end;
    }
    return { text: out + text.slice(at), findings };
  }

  /** Every string inside a JSON-like value, keys left as they are; counts what was redacted by kind. */
  redactValue<T>(value: T, counts: Record<string, number> = {}): T {
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') {
        const r = this.redactText(v);
        for (const f of r.findings) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
        return r.text;
      }
      if (Array.isArray(v)) return v.map(walk);
      if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(value) as T;
  }
}

/** Checks a user-defined pattern before it is stored: it must compile and must not match the empty string. */
export function checkCustomPattern(p: CustomPattern): string | undefined {
  try {
    const re = new RegExp(p.pattern, p.flags ?? '');
    if (re.test('')) return `pattern '${p.name}' matches the empty string`;
  } catch (err) {
    return `pattern '${p.name}' is not a valid regular expression: ${(err as Error).message}`;
  }
  return undefined;
}
