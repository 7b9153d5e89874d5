import type { OutputEventV1 } from '../types';
import { lazyComponent } from './lazy';

const Markdown = lazyComponent(
  () => import('./markdown').then((m) => m.Markdown),
  ({ text }: { text: string }) => <div class="markdown plain">{text}</div>,
);

type Block = { kind: 'text'; key: number; text: string } | { kind: 'event'; key: number; event: OutputEventV1; streamed: boolean };

/**
 * A run's output, readable: streamed text joined into Markdown (chunks split anywhere, so
 * they are rendered together), tool calls and results folded, status lines, and the final
 * answer with its time, cost and tokens (its text only when none was streamed before it).
 */
export function OutputView({ events }: { events: OutputEventV1[] }) {
  return (
    <div class="output" role="log">
      {blocks(events).map((block) =>
        block.kind === 'text' ? <Markdown key={block.key} text={block.text} /> : <EventView key={block.key} event={block.event} streamed={block.streamed} />,
      )}
    </div>
  );
}

function blocks(events: OutputEventV1[]): Block[] {
  const out: Block[] = [];
  const streamedRuns = new Set<string>();
  for (const event of events) {
    const last = out.at(-1);
    if (event.type === 'text') {
      streamedRuns.add(event.runId);
      if (last?.kind === 'text') last.text += event.text;
      else out.push({ kind: 'text', key: event.seq, text: event.text });
    } else out.push({ kind: 'event', key: event.seq, event, streamed: streamedRuns.has(event.runId) });
  }
  return out;
}

function EventView({ event, streamed }: { event: OutputEventV1; streamed: boolean }) {
  switch (event.type) {
    case 'tool_call':
      return (
        <details class="tool">
          <summary>
            🔧 {event.tool} <span class="muted">{firstLine(event.input)}</span>
          </summary>
          <pre>{event.input}</pre>
        </details>
      );
    case 'tool_result':
      return (
        <details class="tool-result">
          <summary>
            ↳ {event.tool} result <span class="muted">{firstLine(event.text)}</span>
          </summary>
          <pre>{event.text}</pre>
        </details>
      );
    case 'status':
      return <div class="status-line">{event.text}</div>;
    case 'final':
      return (
        <div class="final">
          {!streamed && <Markdown text={event.text} />}
          <span class="muted">{finalFacts(event)}</span>
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

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0];
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

function finalFacts(event: Extract<OutputEventV1, { type: 'final' }>): string {
  const facts = [`done in ${(event.durationMs / 1000).toFixed(1)} s`];
  if (event.costUsd !== undefined) facts.push(`$${event.costUsd.toFixed(4)}`);
  if (event.tokens) facts.push(`${event.tokens.input.toLocaleString()} tokens in, ${event.tokens.output.toLocaleString()} out`);
  if (event.exitCode !== null && event.exitCode !== 0) facts.push(`exit code ${event.exitCode}`);
  return facts.join(' · ');
}
