import { Transform, type TransformCallback } from 'node:stream';
import { invalid } from '../core/errors.js';
import { Sha256Session } from './sha256-worker.js';

/**
 * Passes bytes through unchanged while taking their sha256 and count, so a stored file's digest
 * costs no second read. With an expected length, a body that is longer or shorter fails the
 * stream itself, which makes whatever is writing from it abandon the write.
 */
export class DigestStream extends Transform {
  readonly #hash = new Sha256Session();
  #size = 0;
  #sha256: string | undefined;

  constructor(
    private readonly what: string,
    private readonly expectedLength?: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#size += chunk.length;
    if (this.expectedLength !== undefined && this.#size > this.expectedLength) {
      done(invalid(`Upload of '${this.what}' is longer than its stated length of ${this.expectedLength} bytes`));
      return;
    }
    const behind = this.#hash.update(chunk);
    if (behind) behind.then(() => done(null, chunk), done);
    else done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.expectedLength !== undefined && this.#size !== this.expectedLength) {
      done(invalid(`Upload of '${this.what}' ended after ${this.#size} of its stated ${this.expectedLength} bytes`));
      return;
    }
    this.#hash.digest().then((sha256) => {
      this.#sha256 = sha256;
      done();
    }, done);
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    if (this.#sha256 === undefined) this.#hash.discard();
    done(err);
  }

  /** Size and digest of everything that passed; only valid once the stream has ended. */
  get digest(): { size: number; sha256: string } {
    if (this.#sha256 === undefined) throw new Error('DigestStream read before the stream ended');
    return { size: this.#size, sha256: this.#sha256 };
  }
}
