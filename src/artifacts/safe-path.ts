import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { DomainError, invalid } from '../core/errors.js';

/** S3's key limit; local file systems allow more, but one limit keeps both backends alike. */
const MAX_PATH_BYTES = 1024;
/** NAME_MAX of ext4, XFS and APFS. */
const MAX_SEGMENT_BYTES = 255;

// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
const CONTROL = /[\u0000-\u001f\u007f]/;
const DRIVE = /^[A-Za-z]:/;

const shown = (raw: string) => JSON.stringify(raw.length > 200 ? `${raw.slice(0, 200)}…` : raw);
const reject = (raw: string, why: string) =>
  new DomainError('INVALID_PARAMETER_VALUE', `Invalid artifact path ${shown(raw)}: ${why}`, { kind: 'artifact-path', path: raw });

/**
 * Decodes each `%XX` once, leniently: malformed escapes stay as they are instead of throwing, so
 * `100%.txt` is an ordinary name while `%2e%2e/%zz` is still seen as `../%zz`. Non-ASCII bytes come
 * out as Latin-1 characters, which is enough because only ASCII structure is checked afterwards.
 */
const decodeOnce = (s: string) => s.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/**
 * Validates a client-supplied artifact path and returns it normalised: `/`-separated, without empty
 * or `.` segments and without leading or trailing slashes; `''` is the root.
 *
 * The path is checked both as given and decoded once, because some layer between the client and
 * the disk (a proxy, a client library, a later tool reading the listing) may decode it again: a
 * segment that is `..` either way, an encoded separator or dot segment, a backslash (a separator on
 * Windows), a NUL or other control character, an absolute or drive-letter path are all rejected.
 * The returned path keeps the characters as given, so names containing `%`, `#` or `?` round-trip.
 */
export function safeArtifactPath(raw: unknown): string {
  if (typeof raw !== 'string') throw invalid(`Invalid artifact path: expected a string, got ${typeof raw}`);
  const decoded = decodeOnce(raw);
  for (const form of decoded === raw ? [raw] : [raw, decoded]) {
    if (CONTROL.test(form)) throw reject(raw, 'control characters (such as NUL) are not allowed');
    if (form.includes('\\')) throw reject(raw, 'backslashes are not allowed; use "/" as the separator');
    if (form.startsWith('/') || DRIVE.test(form)) throw reject(raw, 'the path must be relative');
    if (form.split('/').includes('..')) throw reject(raw, "'..' segments are not allowed");
  }
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  for (const segment of segments) {
    const plain = decodeOnce(segment);
    if (plain.includes('/')) throw reject(raw, 'encoded separators (%2F) are not allowed');
    if (plain === '.') throw reject(raw, 'encoded dot segments are not allowed');
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) throw reject(raw, `a name is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  const normalised = segments.join('/');
  if (DRIVE.test(normalised) || DRIVE.test(decodeOnce(normalised))) throw reject(raw, 'the path must be relative');
  if (Buffer.byteLength(normalised) > MAX_PATH_BYTES) throw reject(raw, `longer than ${MAX_PATH_BYTES} bytes`);
  return normalised;
}

const isInside = (root: string, candidate: string) => candidate === root || candidate.startsWith(root + path.sep);

const errorCode = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

/**
 * Joins a path from `safeArtifactPath` to a root (which must already be a real path) and checks
 * that symlinks do not lead out of it: the deepest part of the path that exists is resolved with
 * realpath and must stay under the root. A dangling symlink on the way is refused too, since a
 * later write would follow it to wherever it points. Returns the joined (not resolved) path.
 */
export async function resolveInsideRoot(rootReal: string, relative: string): Promise<string> {
  const target = relative === '' ? rootReal : path.join(rootReal, ...relative.split('/'));
  for (let probe = target; ; probe = path.dirname(probe)) {
    let real: string;
    try {
      real = await realpath(probe);
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ELOOP') throw reject(relative, 'it runs through a symlink loop');
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || probe === rootReal) throw err;
      const link = await lstat(probe).catch(() => undefined);
      if (link?.isSymbolicLink()) throw reject(relative, 'it runs through a dangling symlink');
      continue;
    }
    if (!isInside(rootReal, real)) throw reject(relative, 'it leads outside the artifact root through a symlink');
    return target;
  }
}

/** Whether an absolute path resolves (through any symlinks) to somewhere under the real root. */
export async function staysInsideRoot(rootReal: string, absolute: string): Promise<boolean> {
  try {
    return isInside(rootReal, await realpath(absolute));
  } catch {
    return false;
  }
}
