import { randomBytes, randomUUID } from 'node:crypto';

/** MLflow run ids: 32 lowercase hex characters. */
export const newRunId = (): string => randomUUID().replace(/-/g, '');

export const newHexId = (bytes = 16): string => randomBytes(bytes).toString('hex');
