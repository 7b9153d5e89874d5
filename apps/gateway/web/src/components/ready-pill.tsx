import { useEffect, useState } from 'preact/hooks';

interface Readiness {
  status: 'ready' | 'not_ready';
  checks: Record<string, { ok: boolean; detail: string; count?: number }>;
}

/** Whether this Patchbay is ready (GET /readyz), asked every 5 s. */
export function ReadyPill() {
  const [text, setText] = useState('checking…');
  const [ok, setOk] = useState(false);
  useEffect(() => {
    const look = async () => {
      try {
        const response = await fetch('/readyz', { headers: { accept: 'application/json' } });
        if (response.status === 401) return (setText('log in'), setOk(false));
        const ready = (await response.json()) as Readiness;
        const problems = Object.entries(ready.checks)
          .filter(([, c]) => !c.ok)
          .map(([name, c]) => `${name}: ${c.detail}`);
        setOk(ready.status === 'ready');
        setText(ready.status === 'ready' ? `ready · ${ready.checks.runners?.count ?? 0} runner(s)` : problems.join('; '));
      } catch {
        setText('not reachable');
        setOk(false);
      }
    };
    void look();
    const timer = setInterval(look, 5000);
    return () => clearInterval(timer);
  }, []);
  return <span class={`pill ${ok ? 'ok' : 'bad'}`}>{text}</span>;
}
