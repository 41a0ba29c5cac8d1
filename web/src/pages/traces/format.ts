/** Dollars with enough digits for single calls, which often cost a fraction of a cent. */
export const formatCost = (usd: number | undefined): string => (usd === undefined ? '' : usd === 0 ? '$0' : usd < 0.01 ? `$${usd.toPrecision(3)}` : `$${usd.toFixed(2)}`);

export const formatLatency = (start: number, end: number | undefined): string => (end === undefined ? '' : end - start < 1000 ? `${Math.round(end - start)} ms` : `${((end - start) / 1000).toFixed(2)} s`);
