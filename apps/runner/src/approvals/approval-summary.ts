import { ApprovalV1, sanitizeText } from '@patchbay/contracts';
import { Redactor } from '@patchbay/security';

/** What a chat shows of one tool use: a few lines, never the whole file being written. */
const MAX_SUMMARY = 1_500;
const PREVIEW_LINES = 12;
/** Control characters other than tab and newline: a chat or terminal would act on them. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * The short, readable text of an approval request: the command for Bash, the path and a
 * diff preview for edits, the URL for fetches, else the tool and its input as compact JSON.
 * Redacted (a command may carry a token) and free of control characters.
 */
export function approvalSummary(tool: string, input: Record<string, unknown>, redactor: Redactor): string {
  return cleanSummary(describe(tool, input), redactor);
}

/** Any text shown as a request's summary (a prompt's lines from a screen): redacted, without control characters, short. */
export function cleanSummary(text: string, redactor: Redactor): string {
  const clean = sanitizeText(redactor.redact(text)).replace(CONTROL, '');
  return clean.length > MAX_SUMMARY ? `${clean.slice(0, MAX_SUMMARY - 1)}…` : clean;
}

function describe(tool: string, input: Record<string, unknown>): string {
  const str = (key: string) => (typeof input[key] === 'string' ? (input[key] as string) : undefined);
  switch (tool) {
    case 'Bash': {
      const command = str('command');
      if (command === undefined) break;
      const why = str('description');
      return why ? `${command}\n(${why})` : command;
    }
    case 'Edit': {
      const path = str('file_path');
      if (path === undefined) break;
      return `${path}\n${diffPreview(str('old_string') ?? '', str('new_string') ?? '')}`;
    }
    case 'MultiEdit': {
      const path = str('file_path');
      const edits = Array.isArray(input.edits) ? (input.edits as Array<Record<string, unknown>>) : undefined;
      if (path === undefined || !edits) break;
      const diffs = edits.map((e) => diffPreview(String(e.old_string ?? ''), String(e.new_string ?? '')));
      return `${path} (${edits.length} edits)\n${diffs.join('\n…\n')}`;
    }
    case 'Write': {
      const path = str('file_path');
      if (path === undefined) break;
      const content = str('content') ?? '';
      return `${path} (new content, ${lineCount(content)} lines)\n${preview(content.split('\n'), '+ ')}`;
    }
    case 'NotebookEdit': {
      const path = str('notebook_path');
      if (path === undefined) break;
      return `${path}\n${preview((str('new_source') ?? '').split('\n'), '+ ')}`;
    }
    case 'WebFetch': {
      const url = str('url');
      if (url !== undefined) return url;
      break;
    }
  }
  return `${tool} ${JSON.stringify(input)}`;
}

/** The removed lines, then the added ones: what a chat can show of a diff. */
function diffPreview(before: string, after: string): string {
  const removed = before ? preview(before.split('\n'), '- ') : '';
  const added = after ? preview(after.split('\n'), '+ ') : '';
  return [removed, added].filter(Boolean).join('\n');
}

function preview(lines: string[], prefix: string): string {
  const shown = lines.slice(0, PREVIEW_LINES).map((line) => `${prefix}${line}`);
  if (lines.length > PREVIEW_LINES) shown.push(`${prefix}… (${lines.length - PREVIEW_LINES} more lines)`);
  return shown.join('\n');
}

function lineCount(text: string): number {
  return text === '' ? 0 : text.split('\n').length;
}

/** What the agent is told of a denial: who, and their reason. */
export function denialMessage(approval: ApprovalV1): string {
  if (approval.decidedBy === 'timeout') return `Nobody answered the approval request for ${approval.tool} in time, so it was denied and not run.`;
  const by = approval.decidedBy ? ` by ${approval.deciderName ?? approval.decidedBy}` : '';
  return approval.reason ? `Denied${by}: ${approval.reason}` : `Denied${by}; the tool was not run.`;
}
