// Loading what a page shows: one request (or several) per set of inputs, the latest one winning.
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> { data?: T; error?: unknown; loading: boolean; reload: () => void }

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  const run = useCallback(load, deps);
  useEffect(() => {
    const id = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    run().then(
      (data) => { if (id === latest.current) setState({ data, loading: false }); },
      (error: unknown) => { if (id === latest.current) setState({ error, loading: false }); },
    );
  }, [run, tick]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}
