/** One event as it came over the wire. */
export interface SseEvent {
  id: number;
  data: unknown;
}

/** One block as it came over the wire: its event name (`message` when unnamed), id if any, and data. */
export interface SseBlock {
  event: string;
  id?: number;
  data: unknown;
}

/** The blocks of an SSE response body that carry data, as they arrive (independent of the CLI's own parser). */
export async function* sseBlocks(response: Response): AsyncGenerator<SseBlock> {
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
      if (data) yield { event: event ? event[1] : 'message', ...(id ? { id: Number(id[1]) } : {}), data: JSON.parse(data[1]) };
    }
  }
}

/** The events of an SSE response body that have an id (a session's output events), as they arrive. */
export async function* sseEvents(response: Response): AsyncGenerator<SseEvent> {
  for await (const { id, data } of sseBlocks(response)) if (id !== undefined) yield { id, data };
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
