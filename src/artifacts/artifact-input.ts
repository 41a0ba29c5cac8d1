import { invalid } from '../core/errors.js';
import type { ByteRange, UploadedPart } from './artifact-store.js';

/** S3's limits, applied on every backend so a client sees the same rules wherever files are kept. */
const MAX_PART_NUMBER = 10_000;

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

export function checkContentLength(contentLength: unknown, what: string): number | undefined {
  if (contentLength === undefined) return undefined;
  if (!isCount(contentLength)) throw invalid(`Invalid content length for '${what}': ${String(contentLength)}`);
  return contentLength;
}

export function checkRange(range: ByteRange | undefined, what: string): ByteRange | undefined {
  if (range === undefined) return undefined;
  const { start, end } = range;
  if (!isCount(start) || (end !== undefined && (!isCount(end) || end < start)))
    throw invalid(`Invalid byte range ${String(start)}-${String(end ?? '')} for '${what}'`);
  return end === undefined ? { start } : { start, end };
}

export const rangePastEnd = (range: ByteRange, size: number, what: string) =>
  invalid(`Byte range starting at ${range.start} is outside '${what}', which has ${size} bytes`);

export function checkPartNumber(partNumber: unknown): number {
  if (!isCount(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER)
    throw invalid(`Invalid part number ${String(partNumber)}: must be an integer from 1 to ${MAX_PART_NUMBER}`);
  return partNumber;
}

export function checkUploadId(uploadId: unknown): string {
  if (typeof uploadId !== 'string' || uploadId === '' || uploadId.length > 1024)
    throw invalid(`Invalid multipart upload id ${JSON.stringify(uploadId)}`);
  return uploadId;
}

/** The part list of a completion, as S3 wants it: non-empty, part numbers strictly ascending. */
export function checkParts(parts: unknown): UploadedPart[] {
  if (!Array.isArray(parts) || parts.length === 0 || parts.length > MAX_PART_NUMBER)
    throw invalid(`A multipart upload is completed with 1 to ${MAX_PART_NUMBER} parts`);
  let previous = 0;
  return parts.map((part: unknown) => {
    const { partNumber, etag } = (part ?? {}) as Partial<UploadedPart>;
    const number = checkPartNumber(partNumber);
    if (number <= previous) throw invalid(`Parts must be listed in ascending order of part number; ${number} follows ${previous}`);
    if (typeof etag !== 'string' || etag === '' || etag.length > 1024) throw invalid(`Part ${number} needs the etag its upload returned`);
    previous = number;
    return { partNumber: number, etag };
  });
}

/** Code-unit order, the same on every backend and independent of locale. */
export const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
