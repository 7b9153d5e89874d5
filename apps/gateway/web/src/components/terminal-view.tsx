import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { follow } from '../sse';
import { typedOf } from '../terminal-keys';
import type { ScreenV1 } from '../types';

/**
 * The session's tmux pane, live (GET …/screen/stream), in xterm. The keyboard types into the
 * pane (…/input for text, …/keys for keys), one request after the other so the order holds;
 * read-only for those who may not type.
 */
export function TerminalView({ sessionId, canType }: { sessionId: string; canType: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'connecting' | 'live' | 'ended'>('connecting');
  const [error, setError] = useState('');
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const terminal = new Terminal({ convertEol: false, disableStdin: !canType, cursorBlink: canType, fontSize: 13, scrollback: 0 });
    terminal.open(host.current!);
    const path = `/api/sessions/${encodeURIComponent(sessionId)}`;
    let sending = Promise.resolve();
    const typing = terminal.onData((data) => {
      if (!canType) return;
      for (const typed of typedOf(data)) {
        sending = sending
          .then(() => api(`${path}/${'text' in typed ? 'input' : 'keys'}`, { method: 'POST', body: 'text' in typed ? { text: typed.text, enter: false } : typed }))
          .then(
            () => setError(''),
            (failure) => setError(failure instanceof ApiError ? failure.message : String(failure)),
          );
      }
    });
    const stop = follow(
      `${path}/screen/stream`,
      {
        onEvent: (type, data) => {
          if (type === 'end') return setState('ended');
          setState('live');
          draw(terminal, data as ScreenV1);
        },
        onEnd: () => setState('ended'),
      },
      { types: ['screen', 'end'] },
    );
    return () => {
      stop();
      typing.dispose();
      terminal.dispose();
    };
  }, [sessionId, canType, attempt]);
  return (
    <div class="terminal-view">
      <p class="muted">
        {state === 'connecting'
          ? 'Connecting to the terminal…'
          : state === 'live'
            ? canType
              ? 'Live: what you type goes into the session.'
              : 'Live, read-only.'
            : 'No live terminal for this session.'}{' '}
        {state === 'ended' && (
          <button class="link" onClick={() => (setState('connecting'), setAttempt((n) => n + 1))}>
            Connect again
          </button>
        )}
      </p>
      <div class="terminal" ref={host} data-state={state} />
      {error && <p class="error">{error}</p>}
    </div>
  );
}

/** Redraws the whole screen at the pane's size, with the cursor where the pane has it. */
function draw(terminal: Terminal, screen: ScreenV1): void {
  if (terminal.cols !== screen.cols || terminal.rows !== screen.rows) terminal.resize(screen.cols, screen.rows);
  terminal.write(`\x1b[H\x1b[2J${screen.lines.join('\r\n')}\x1b[${screen.cursor.y + 1};${screen.cursor.x + 1}H`);
}
