import { useCallback, useEffect, useState, type DependencyList } from 'react';

export interface ApiState<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  reload(): void;
}

const sameDeps = (a: DependencyList, b: DependencyList) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/**
 * Loads with `load` whenever `deps` change. A result remembers the deps it was loaded for, so a page never
 * shows an answer for other inputs; `reload` keeps showing the current answer until the new one arrives.
 * A newer load aborts an older one.
 */
export function useApi<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): ApiState<T> {
  const [generation, setGeneration] = useState(0);
  const [result, setResult] = useState<{ deps: DependencyList; generation: number; data?: T; error?: unknown }>();
  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal).then(
      (data) => { if (!controller.signal.aborted) setResult({ deps, generation, data }); },
      (error: unknown) => { if (!controller.signal.aborted) setResult({ deps, generation, error }); },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller names what the load depends on
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const current = result && sameDeps(result.deps, deps) ? result : undefined;
  return { data: current?.data, error: current?.error, loading: !current || current.generation !== generation, reload };
}
