import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 64 * 1024;

/**
 * `size` pseudo-random bytes (xorshift32 from `seed`), produced chunk by chunk on demand so that
 * tests and benchmarks can push large files without holding them. Same size and seed, same bytes.
 */
export function generatedBytes(size: number, seed = 1, opts: { failAfter?: number } = {}): Readable {
  let state = seed >>> 0 || 1;
  let produced = 0;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (opts.failAfter !== undefined && produced >= opts.failAfter) {
        this.destroy(new Error(`generated stream failed on purpose after ${produced} bytes`));
        return;
      }
      if (produced >= size) {
        this.push(null);
        return;
      }
      const length = Math.min(CHUNK, size - produced);
      const words = new Uint32Array(Math.ceil(length / 4));
      for (let i = 0; i < words.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        words[i] = state >>> 0;
      }
      produced += length;
      this.push(Buffer.from(words.buffer, 0, length));
    },
  });
}

/** The sha256 of `generatedBytes(size, seed)`, computed by streaming it once. */
export async function generatedSha256(size: number, seed = 1): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of generatedBytes(size, seed)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
