import { OpenExpert } from '../sdk/client.js';
import { clientUrl } from '../config/config.js';
import { cliToken } from './credentials.js';

/** One way to print results in every command: an aligned table for people, `--json` for scripts. */
export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string | number | null | undefined;
}

export function printTable<T>(rows: readonly T[], columns: readonly Column<T>[]): void {
  const cells = rows.map((r) => columns.map((c) => formatCell(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(columns.map((c) => c.header)));
  for (const row of cells) console.log(line(row));
  if (rows.length === 0) console.log('(none)');
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/**
 * A number as every CLI table prints it: integers whole, others to 6 significant digits without trailing
 * zeros. Zeros are trimmed from the mantissa only: `5.499e-10` prints as `5.499e-10`, not `5.49900e-1`.
 */
export function formatNumber(v: number): string {
  if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
  const [mantissa, exponent] = v.toPrecision(6).split('e') as [string, string | undefined];
  const trimmed = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
  return exponent === undefined ? trimmed : `${trimmed}e${exponent}`;
}

function formatCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return formatNumber(v);
  return v;
}

export const formatTime = (ms: number | null | undefined): string => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '');

/** Commands that talk to a server share `--url` (default $OPENEXPERT_URL, $MLFLOW_TRACKING_URI, then localhost:5000). */
export function client(opts: { url?: string }): OpenExpert {
  const url = clientUrl(opts.url);
  const token = cliToken(url);
  return new OpenExpert({ url, ...(token ? { token } : {}) });
}
