/** One event as it came over the wire. */
export interface SseEvent {
  id: number;
  data: unknown;
}

/** One SSE block as it came over the wire: its `event:` name, `id:` and `data:` (JSON) when it has them, or a comment. */
export interface SseMessage {
  event?: string;
  id?: number;
  data?: unknown;
  comment?: string;
}

/** Every block of an SSE response body, comments included, as they arrive (independent of the CLI's own parser). */
export async function* sseMessages(response: Response): AsyncGenerator<SseMessage> {
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block);
      const id = /^id: (\d+)$/m.exec(block);
      const data = /^data: (.*)$/m.exec(block);
      const comment = /^: ?(.*)$/m.exec(block);
      yield {
        ...(event ? { event: event[1] } : {}),
        ...(id ? { id: Number(id[1]) } : {}),
        ...(data ? { data: JSON.parse(data[1]) } : {}),
        ...(comment ? { comment: comment[1] } : {}),
      };
    }
  }
}

/** The events of an SSE response body that carry an id (a session's transcript), as they arrive. */
export async function* sseEvents(response: Response): AsyncGenerator<SseEvent> {
  for await (const message of sseMessages(response)) {
    if (message.id !== undefined && message.data !== undefined) yield { id: message.id, data: message.data };
  }
}

/**
 * Reads a whole SSE response until the server ends it. Resolves with every event;
 * `onEvent` sees each as it arrives (and may throw to stop reading).
 */
export async function readSse(url: string, init: { headers?: Record<string, string>; onEvent?: (e: SseEvent) => void } = {}): Promise<SseEvent[]> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...init.headers } });
  if (response.status !== 200) throw new Error(`SSE ${url}: ${response.status} ${await response.text()}`);
  if (!response.headers.get('content-type')?.startsWith('text/event-stream')) throw new Error('not an event stream');
  const events: SseEvent[] = [];
  for await (const event of sseEvents(response)) {
    events.push(event);
    init.onEvent?.(event);
  }
  return events;
}
