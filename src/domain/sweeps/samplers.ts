import { createRng } from '../evaluation/bootstrap.js';
import { enumerateGrid, sampleParams, sampleUniform } from './space.js';
import { suggestTpe, type TpeTrial } from './tpe.js';
import type { Params, SweepConfig } from './types.js';

/**
 * Trial n's own random stream, from the sweep's seed and n: a random sweep proposes the same parameters for trial
 * n however many trials ran at once or in which order they finished, and so does TPE given the same history.
 */
export const trialRandom = (seed: number, number: number) => createRng((seed ^ Math.imul(number + 1, 0x9e3779b1)) >>> 0);

/** How many trials a grid has (undefined for the other methods, which are unbounded). */
export function gridSize(config: SweepConfig): number | undefined {
  return config.method === 'grid' ? enumerateGrid(config.parameters).length : undefined;
}

/** The parameters of trial `number`, given the trials finished so far (used by TPE only). */
export function suggest(config: SweepConfig, number: number, finished: readonly TpeTrial[]): Params {
  switch (config.method) {
    case 'grid': return enumerateGrid(config.parameters)[number]!;
    case 'random': {
      const random = trialRandom(config.seed, number);
      return sampleParams(config.parameters, (p) => sampleUniform(p, random));
    }
    case 'tpe': return suggestTpe(config.parameters, finished, config.metric.goal, config.tpe, trialRandom(config.seed, number));
  }
}
