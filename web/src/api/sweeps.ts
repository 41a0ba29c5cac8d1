import type { Importance } from '../../../src/domain/sweeps/importance';
import type { SweepDetail, SweepSummary, Trial } from '../../../src/domain/sweeps/types';
import { get } from './client';

/** Hyperparameter sweeps (src/api/v1/sweeps.routes.ts). Objective values that JSON cannot carry arrive as "NaN"/"Infinity" strings. */
export type { SweepDetail, SweepSummary, Trial } from '../../../src/domain/sweeps/types';
export type { Importance } from '../../../src/domain/sweeps/importance';

type WireTrial = Omit<Trial, 'value' | 'curve'> & { value?: number | string; curve?: [number, number | string][] };
const trial = (t: WireTrial): Trial => {
  const { value, curve, ...rest } = t;
  return { ...rest, ...(value !== undefined ? { value: Number(value) } : {}), ...(curve ? { curve: curve.map(([s, v]): [number, number] => [s, Number(v)]) } : {}) };
};
const summary = <T extends { best?: WireTrial }>(s: T) => ({ ...s, ...(s.best ? { best: trial(s.best) } : {}) });

const enc = encodeURIComponent;

export const sweepsApi = {
  list: async (signal?: AbortSignal): Promise<SweepSummary[]> =>
    (await get<{ items: (Omit<SweepSummary, 'best'> & { best?: WireTrial })[] }>('/api/v1/sweeps', { maxResults: 200 }, signal)).items.map((s) => summary(s) as SweepSummary),
  get: async (id: string, signal?: AbortSignal): Promise<SweepDetail> => {
    const s = await get<Omit<SweepDetail, 'best' | 'trials'> & { best?: WireTrial; trials: WireTrial[] }>(`/api/v1/sweeps/${enc(id)}`, undefined, signal);
    return { ...summary(s), trials: s.trials.map(trial) } as SweepDetail;
  },
  importance: (id: string, signal?: AbortSignal): Promise<Importance> => get<Importance>(`/api/v1/sweeps/${enc(id)}/importance`, undefined, signal),
};
