/**
 * Column types under both vocabularies a suite may use: DuckDB's (`DOUBLE`, `VARCHAR`, …) and the
 * pandas/NumPy dtype names GE suites written against a DataFrame use (`float64`, `int64`, `object`,
 * `bool`, `datetime64[ns]`). A pandas name matches the DuckDB types a DataFrame would hold as that dtype
 * when read from the same file.
 */
const PANDAS_OF: Readonly<Record<string, string>> = {
  BOOLEAN: 'bool',
  TINYINT: 'int8', SMALLINT: 'int16', INTEGER: 'int32', BIGINT: 'int64',
  UTINYINT: 'uint8', USMALLINT: 'uint16', UINTEGER: 'uint32', UBIGINT: 'uint64',
  FLOAT: 'float32', REAL: 'float32', DOUBLE: 'float64',
  VARCHAR: 'object',
  DATE: 'datetime64[ns]', TIMESTAMP: 'datetime64[ns]', TIMESTAMP_NS: 'datetime64[ns]', TIMESTAMP_MS: 'datetime64[ns]', TIMESTAMP_S: 'datetime64[ns]',
  'TIMESTAMP WITH TIME ZONE': 'datetime64[ns, UTC]',
};

/** Other spellings pandas and NumPy accept for the same dtype. */
const ALIASES: Readonly<Record<string, string>> = {
  float: 'float64', double: 'float64', float_: 'float64', int: 'int64', int_: 'int64', bool_: 'bool', boolean: 'bool',
  str: 'object', string: 'object', 'datetime64': 'datetime64[ns]', 'datetime64[us]': 'datetime64[ns]', 'datetime64[ms]': 'datetime64[ns]',
  'datetime64[s]': 'datetime64[ns]',
};

const PANDAS_NAMES = new Set([...Object.values(PANDAS_OF), ...Object.keys(ALIASES)]);

/** The dtype pandas would give a column of this DuckDB type (DECIMAL, lists and the rest are Python objects). */
export function pandasDtype(duckType: string): string {
  return PANDAS_OF[duckType] ?? 'object';
}

export const isPandasName = (name: string) => PANDAS_NAMES.has(name.replace(/^(np|numpy)\./, ''));

/** Whether a column of `duckType` is of the type a suite names, in either vocabulary. */
export function typeMatches(duckType: string, expected: string): boolean {
  if (duckType.toUpperCase() === expected.toUpperCase()) return true;
  const name = expected.replace(/^(np|numpy)\./, '');
  if (!PANDAS_NAMES.has(name)) return false;
  return pandasDtype(duckType) === (ALIASES[name] ?? name);
}
