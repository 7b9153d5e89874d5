import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';

/** GET `path` (again whenever `path` or `reload` changes): the answer, or the error it gave. */
export function useApi<T>(path: string | null, reload = 0): { data: T | null; error: string } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    if (!path) return;
    let current = true;
    api<T>(path).then(
      (answer) => current && (setData(answer), setError('')),
      (failure: Error) => current && setError(failure.message),
    );
    return () => {
      current = false;
    };
  }, [path, reload]);
  return { data, error };
}

/** Runs an API change, and says what went wrong if it did; `done` after it worked. */
export function useAction(done: () => void): { run: (change: () => Promise<unknown> | unknown) => Promise<void>; error: string } {
  const [error, setError] = useState('');
  return {
    error,
    run: async (change) => {
      try {
        await change();
        setError('');
        done();
      } catch (failure) {
        setError((failure as Error).message);
      }
    },
  };
}
