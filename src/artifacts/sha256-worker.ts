import { Worker } from 'node:worker_threads';

/**
 * sha256 runs at about 1 GB/s on one core, about as fast as the disk; on the main thread it takes
 * turns with the stream plumbing and halves upload throughput. One shared worker thread hashes
 * for every stream instead, so hashing and I/O overlap. Source is inline (`eval`) so the worker
 * loads the same way under tsx, vitest and the compiled build.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const sessions = new Map();
parentPort.on('message', ({ id, bytes, end, discard }) => {
  if (discard) return void sessions.delete(id);
  let hash = sessions.get(id);
  if (!hash) sessions.set(id, (hash = createHash('sha256')));
  hash.update(bytes);
  if (end) sessions.delete(id);
  const sha256 = end ? hash.digest('hex') : undefined;
  parentPort.postMessage({ id, hashed: bytes.byteLength, sha256, buffer: bytes.buffer }, [bytes.buffer]);
});
`;

/** Bytes sent per message: few enough messages per gigabyte, small enough to keep the worker busy early. */
const BATCH = 1024 * 1024;
/** Batches usually overshoot BATCH by less than one stream chunk (64 KiB from files and sockets). */
const BATCH_CAPACITY = BATCH + 128 * 1024;
/** How far the worker may fall behind one stream before that stream waits; bounds memory per upload. */
const WINDOW = 4 * 1024 * 1024;

interface Reply {
  id: number;
  hashed: number;
  sha256?: string;
  /** The batch's memory, handed back for reuse. */
  buffer: ArrayBuffer;
}

interface Listener {
  reply(message: Reply): void;
  fail(err: Error): void;
}

class HashWorker {
  private readonly worker = new Worker(WORKER_SOURCE, { eval: true });
  private readonly listeners = new Map<number, Listener>();
  private nextId = 1;

  constructor(onGone: () => void) {
    // Idle, the worker must not keep the process alive; while a digest is awaited it must, or a
    // script whose only pending work is that digest would exit mid-upload.
    this.worker.unref();
    this.worker.on('message', (message: Reply) => this.listeners.get(message.id)?.reply(message));
    const failAll = (err: Error) => {
      onGone();
      for (const listener of this.listeners.values()) listener.fail(err);
      this.listeners.clear();
    };
    this.worker.on('error', failAll);
    this.worker.on('exit', (code) => failAll(new Error(`sha256 worker exited with code ${code}`)));
  }

  open(listener: Listener): number {
    const id = this.nextId++;
    if (this.listeners.size === 0) this.worker.ref();
    this.listeners.set(id, listener);
    return id;
  }

  close(id: number): void {
    if (this.listeners.delete(id) && this.listeners.size === 0) this.worker.unref();
  }

  send(id: number, bytes: Uint8Array, end: boolean): void {
    this.worker.postMessage({ id, bytes, end }, [bytes.buffer as ArrayBuffer]);
  }

  discard(id: number): void {
    this.worker.postMessage({ id, discard: true });
    this.close(id);
  }
}

let shared: HashWorker | undefined;
function worker(): HashWorker {
  if (!shared) {
    const created: HashWorker = new HashWorker(() => {
      if (shared === created) shared = undefined;
    });
    shared = created;
  }
  return shared;
}

/** An incremental sha256 computed off the main thread. */
export class Sha256Session {
  readonly #worker = worker();
  readonly #id: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #inFlight = 0;
  /**
   * Batch buffers come back from the worker and are filled again: allocating a fresh one per batch
   * left the worker's small heap holding tens of megabytes of garbage between its collections.
   */
  readonly #spare: ArrayBuffer[] = [];
  #failure: Error | undefined;
  #caughtUp: (() => void) | undefined;
  #finished: { resolve: (sha256: string) => void; reject: (err: Error) => void } | undefined;

  constructor() {
    this.#id = this.#worker.open({
      reply: ({ hashed, sha256, buffer }) => {
        this.#inFlight -= hashed;
        if (buffer.byteLength === BATCH_CAPACITY) this.#spare.push(buffer);
        if (this.#inFlight <= WINDOW) this.#wake();
        if (sha256 !== undefined) {
          this.#worker.close(this.#id);
          this.#finished?.resolve(sha256);
        }
      },
      fail: (err) => {
        this.#failure = err;
        this.#wake();
        this.#finished?.reject(err);
      },
    });
  }

  /**
   * Queues bytes. Returns a promise only when the worker has fallen a window behind; the caller
   * should wait for it before passing more, which is how backpressure reaches the source.
   */
  update(chunk: Buffer): Promise<void> | undefined {
    if (this.#failure) return Promise.reject(this.#failure);
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes < BATCH) return undefined;
    this.#flush(false);
    if (this.#inFlight <= WINDOW) return undefined;
    return new Promise((resolve, reject) => {
      this.#caughtUp = () => (this.#failure ? reject(this.#failure) : resolve());
    });
  }

  digest(): Promise<string> {
    if (this.#failure) return Promise.reject(this.#failure);
    const done = new Promise<string>((resolve, reject) => (this.#finished = { resolve, reject }));
    this.#flush(true);
    return done;
  }

  /** Forgets the session after a failed stream. */
  discard(): void {
    this.#worker.discard(this.#id);
  }

  #flush(end: boolean): void {
    const size = this.#pendingBytes;
    // Never a pooled Buffer: transferring it to the worker must not detach memory other Buffers share.
    // Only full batches get reusable memory; the tail of a small file gets exactly what it needs.
    const spare = size <= BATCH_CAPACITY ? this.#spare.pop() : undefined;
    const memory = spare ?? new ArrayBuffer(size >= BATCH && size <= BATCH_CAPACITY ? BATCH_CAPACITY : size);
    const batch = new Uint8Array(memory, 0, size);
    let offset = 0;
    for (const chunk of this.#pending) {
      batch.set(chunk, offset);
      offset += chunk.length;
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#inFlight += batch.byteLength;
    this.#worker.send(this.#id, batch, end);
  }

  #wake(): void {
    const wake = this.#caughtUp;
    this.#caughtUp = undefined;
    wake?.();
  }
}
