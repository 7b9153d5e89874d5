export interface StreamHandlers {
  /** A message: its event name (`message` for output), its data parsed, and its id. */
  onEvent(type: string, data: unknown, id: string): void;
  /** The stream is over: the server ended it, or it failed and is not resumed. */
  onEnd?(): void;
}

export interface FollowOptions {
  /** The SSE event names to listen to (`message` is an unnamed event). */
  types?: string[];
  /** Start after this event id instead of at the beginning. */
  after?: string;
  /**
   * Asked when the stream closes: a number reopens it after that many ms, after the last
   * event id seen, as `?after=` (the API's Last-Event-ID contract), so nothing is missed
   * or shown twice; false lets it end.
   */
  resume?: () => number | false;
}

/** Follows a server-sent event stream of the API; the returned function stops it. */
export function follow(path: string, handlers: StreamHandlers, options: FollowOptions = {}): () => void {
  const types = options.types ?? ['message'];
  let source: EventSource | null = null;
  let lastId = options.after ?? '';
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const open = () => {
    const url = lastId ? `${path}${path.includes('?') ? '&' : '?'}after=${encodeURIComponent(lastId)}` : path;
    source = new EventSource(url);
    for (const type of types) {
      source.addEventListener(type, (event) => {
        const message = event as MessageEvent<string>;
        let data: unknown;
        try {
          data = JSON.parse(message.data);
        } catch {
          return;
        }
        if (message.lastEventId) lastId = message.lastEventId;
        handlers.onEvent(type, data, message.lastEventId);
      });
    }
    // EventSource would reconnect by itself, but also after the server ended a finished
    // stream: the page decides instead.
    source.onerror = () => {
      source?.close();
      const pause = stopped ? false : (options.resume?.() ?? false);
      if (pause === false) handlers.onEnd?.();
      else retry = setTimeout(open, pause);
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(retry);
    source?.close();
  };
}
