import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { BindingV1, Delivery, KnownChatV1, SessionSummaryV1 } from '../types';

interface Props {
  session: SessionSummaryV1;
  canChange: boolean;
  onChange(bindings: BindingV1[]): void;
}

/** The chats that follow the session, and attaching another (a chat Patchbay knows) or detaching one. */
export function Bindings({ session, canChange, onChange }: Props) {
  const [chats, setChats] = useState<KnownChatV1[]>([]);
  const [pick, setPick] = useState('');
  const [delivery, setDelivery] = useState<Delivery>('live');
  const [error, setError] = useState('');
  const path = `/api/sessions/${encodeURIComponent(session.id)}/bindings`;
  useEffect(() => {
    if (canChange)
      api<{ chats: KnownChatV1[] }>('/api/chats').then(
        (answer) => setChats(answer.chats),
        () => setChats([]),
      );
  }, [canChange, session.id]);
  const change = async (request: Promise<{ bindings: BindingV1[] }>) => {
    try {
      onChange((await request).bindings);
      setError('');
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    }
  };
  const key = (chat: { channel: string; chatId: string }) => `${chat.channel}\u0000${chat.chatId}`;
  const bound = new Set(session.bindings.map(key));
  const offered = chats.filter((chat) => !bound.has(key(chat)));
  const attach = (event: Event) => {
    event.preventDefault();
    const chat = offered.find((c) => key(c) === pick);
    if (chat) void change(api(path, { method: 'POST', body: { channel: chat.channel, chatId: chat.chatId, delivery } })).then(() => setPick(''));
  };
  return (
    <div class="bindings">
      <h3>Chats following this session</h3>
      {session.bindings.length === 0 && <p class="muted">No chat follows it.</p>}
      <ul>
        {session.bindings.map((b) => (
          <li key={key(b)}>
            {b.channel}: {b.chatId} <span class="muted">({b.delivery})</span>{' '}
            {canChange && (
              <button class="link" onClick={() => change(api(`${path}/${encodeURIComponent(b.channel)}/${encodeURIComponent(b.chatId)}`, { method: 'DELETE' }))}>
                Detach
              </button>
            )}
          </li>
        ))}
      </ul>
      {canChange && offered.length > 0 && (
        <form class="attach" onSubmit={attach}>
          <select aria-label="chat to attach" value={pick} onChange={(e) => setPick(e.currentTarget.value)}>
            <option value="">a chat…</option>
            {offered.map((chat) => (
              <option key={key(chat)} value={key(chat)}>
                {chat.channel}: {chat.title ?? chat.chatId}
                {chat.sessionId ? ` (now on ${chat.sessionId})` : ''}
              </option>
            ))}
          </select>
          <select aria-label="delivery" value={delivery} onChange={(e) => setDelivery(e.currentTarget.value as Delivery)}>
            <option value="live">live</option>
            <option value="append">append</option>
            <option value="final">final only</option>
          </select>
          <button type="submit" disabled={!pick}>
            Attach
          </button>
        </form>
      )}
      {error && <p class="error">{error}</p>}
    </div>
  );
}
