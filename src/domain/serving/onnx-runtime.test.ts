import { afterAll, describe, expect, it } from 'vitest';
import { linearModel, lookupModel, mlpModel } from '../../../test/support/onnx-models.js';
import { OnnxRuntime } from './onnx-runtime.js';
import { tensorFromJson, tensorValues } from './tensor.js';

const x = (rows: number[][]) => [tensorFromJson('x', 'FP32', [rows.length, rows[0]!.length], rows, 'inputs[0]')];
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('OnnxRuntime', () => {
  const opened: OnnxRuntime[] = [];
  const load = async (bytes: Uint8Array, batching = { maxBatchSize: 1, maxWaitMs: 0, workers: 1 }) => {
    const r = await OnnxRuntime.load(bytes, batching);
    opened.push(r);
    return r;
  };
  afterAll(async () => Promise.all(opened.map((r) => r.close())));

  it('computes y = x·Wᵀ + b as worked by hand, and reports the model signature', async () => {
    const r = await load(linearModel([[1, 2, 3], [0.5, -1, 0]], [0.1, -0.2]));
    expect(r.metadata.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 3] }]);
    expect(r.metadata.outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [-1, 2] }]);
    const [y] = await r.infer(x([[1, 1, 1], [2, 0, 1]]));
    expect(y!.shape).toEqual([2, 2]);
    // row 1: 1+2+3+0.1 = 6.1, 0.5−1+0−0.2 = −0.7; row 2: 2+0+3+0.1 = 5.1, 1−0+0−0.2 = 0.8
    const expected = [6.1, -0.7, 5.1, 0.8];
    tensorValues(y!).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it('applies the logistic function for a logistic regression', async () => {
    const r = await load(linearModel([[2, -1]], [0.5], { sigmoid: true }));
    const [y] = await r.infer(x([[1, 1], [0, 3]]));
    // z = 2−1+0.5 = 1.5 and 0−3+0.5 = −2.5
    expect(tensorValues(y!)[0]).toBeCloseTo(sigmoid(1.5), 6);
    expect(tensorValues(y!)[1]).toBeCloseTo(sigmoid(-2.5), 6);
  });

  it('stacks concurrent requests into batches and gives each its own rows back', async () => {
    const r = await load(linearModel([[1, 1]], [0]), { maxBatchSize: 16, maxWaitMs: 20, workers: 1 });
    const batches: number[] = [];
    r.onBatch = (rows) => batches.push(rows);
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => r.infer(x([[i, 2 * i]]))));
    results.forEach(([y], i) => expect(tensorValues(y!)).toEqual([3 * i]));
    expect(batches.reduce((a, b) => a + b, 0)).toBe(24);
    expect(Math.max(...batches)).toBeGreaterThan(1);
    expect(Math.max(...batches)).toBeLessThanOrEqual(16);
  });

  it('fails only the request the model cannot answer, not its batch neighbours', async () => {
    const r = await load(lookupModel([5, 6, 7]), { maxBatchSize: 8, maxWaitMs: 20, workers: 1 });
    const outcomes = await Promise.allSettled([0, 1, 9, 2].map((v) => r.infer(x([[v]]))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(outcomes.flatMap((o) => (o.status === 'fulfilled' ? tensorValues(o.value[0]!) : []))).toEqual([5, 6, 7]);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ name: 'ModelFailure' });
  });

  it('survives its process dying mid-request: that request is unavailable, the process comes back and answers', async () => {
    const restarts: string[] = [];
    const r = await OnnxRuntime.load(mlpModel(16, 512), { maxBatchSize: 1, maxWaitMs: 0, workers: 2 }, { onRestart: (reason) => restarts.push(reason) });
    opened.push(r);
    
    const pid = r.pid!;
    // Big enough to still be running when the process is killed (SIGABRT is what a native abort raises).
    const rows = Array.from({ length: 20_000 }, (_, i) => Array.from({ length: 16 }, (_, j) => ((i + j) % 7) / 7));
    const inFlight = r.infer(x(rows));
    process.kill(pid, 'SIGABRT');
    await expect(inFlight).rejects.toMatchObject({ name: 'ModelFailure', unavailable: true, message: expect.stringContaining('SIGABRT') });
    expect(restarts).toHaveLength(1);
    // Back after the first back-off (100 ms) plus a process start; generous for a loaded machine.
    const deadline = Date.now() + 30_000;
    let answer: number[] | undefined;
    while (!answer && Date.now() < deadline) {
      answer = await r.infer(x([[...rows[1]!]])).then(([y]) => tensorValues(y!) as number[], () => undefined);
      if (!answer) await new Promise((res) => setTimeout(res, 100));
    }
    expect(answer).toHaveLength(1);
    expect(r.pid).not.toBe(pid);
  });

  it('dispatches batched requests again after its process died with a call in flight', async () => {
    // One worker and batching on: the killed call frees the only worker, so queued calls must reach the new process.
    const r = await load(mlpModel(16, 512), { maxBatchSize: 16, maxWaitMs: 5, workers: 1 });
    const pid = r.pid!;
    const rows = Array.from({ length: 20_000 }, (_, i) => Array.from({ length: 16 }, (_, j) => ((i + j) % 7) / 7));
    const inFlight = r.infer(x(rows));
    process.kill(pid, 'SIGABRT');
    await expect(inFlight).rejects.toMatchObject({ name: 'ModelFailure', unavailable: true });
    const deadline = Date.now() + 30_000;
    let answered = 0;
    while (answered < 3 && Date.now() < deadline) {
      // Three single-row calls at once go through the batching queue, not around it.
      const settled = await Promise.race([
        Promise.allSettled([1, 2, 3].map((i) => r.infer(x([[...rows[i]!]])))),
        new Promise<'stuck'>((res) => setTimeout(() => res('stuck'), 10_000)),
      ]);
      expect(settled, 'queued calls were never dispatched').not.toBe('stuck');
      answered = (settled as PromiseSettledResult<unknown>[]).filter((o) => o.status === 'fulfilled').length;
      if (answered < 3) await new Promise((res) => setTimeout(res, 100));
    }
    expect(answered).toBe(3);
  });

  it('refuses bytes that are not a model, saying why', async () => {
    await expect(OnnxRuntime.load(Buffer.from('not an onnx model'), { maxBatchSize: 1, maxWaitMs: 0, workers: 1 })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('failed to load'),
    });
  });
});
