import type { OutputEventV1 } from '../types';

/**
 * One output event, readable: text as it streamed, tool calls and their results folded,
 * status lines, the final answer with its time and cost. Agent text is only ever text
 * nodes here (never HTML), whatever it contains.
 */
export function EventView({ event }: { event: OutputEventV1 }) {
  switch (event.type) {
    case 'text':
      return <span class="text">{event.text}</span>;
    case 'tool_call':
      return (
        <details class="tool">
          <summary>▸ {event.tool}</summary>
          <pre>{event.input}</pre>
        </details>
      );
    case 'tool_result':
      return (
        <details class="tool-result">
          <summary>result</summary>
          <pre>{'output' in event ? String((event as { output?: unknown }).output ?? '') : ''}</pre>
        </details>
      );
    case 'status':
      return <div class="status-line">{event.text}</div>;
    case 'final':
      return (
        <div class="final">
          <pre>{event.text}</pre>
          <span class="muted">done in {(event.durationMs / 1000).toFixed(1)} s</span>
        </div>
      );
    case 'error':
      return (
        <div class="error">
          [{event.code}] {event.text}
        </div>
      );
    default:
      return null;
  }
}
