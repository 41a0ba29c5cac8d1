import type { Readable } from 'node:stream';

/**
 * A Node stream as a fetch() request body that reads only when the socket asks for more. Node 20's
 * `Readable.toWeb` drains its source as fast as it produces, so a fast disk or generator feeding a
 * slower upload buffered the whole file in memory.
 */
export function pullStream(source: Readable): ReadableStream<Uint8Array> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
      },
      async cancel(reason) {
        source.destroy(reason instanceof Error ? reason : undefined);
        await chunks.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
