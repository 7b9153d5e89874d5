import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { PromptPattern } from '@patchbay/config';
import type { ApprovalV1 } from '@patchbay/contracts';
import { denialMessage } from './approval-summary';
import type { PermissionQuestion } from './permission-wire';

/** How the answer reaches the program: keys pressed, and text typed with Enter after it. */
export interface PromptTyping {
  keys(keys: string[]): Promise<unknown>;
  text(text: string): Promise<unknown>;
}

/** The engine's decision on one question (ApprovalBroker.decide); undefined once the run let go. */
export type DecidePrompt = (question: PermissionQuestion, summary: string) => Promise<ApprovalV1 | undefined>;

/** Groups of a pattern that say what the request is, not the tool's input. */
const META_GROUPS = new Set(['tool', 'summary']);

interface Found {
  pattern: PromptPattern;
  /** The prompt's text as matched: the same text on screen is the same appearance. */
  text: string;
  groups: Record<string, string>;
}

/**
 * Terminal mode's approvals: watches the screen for the permission prompts the profile
 * declares. A prompt that appears becomes an approval request (its lines the summary, its
 * named groups the tool and the input policy rules match), nothing is typed while it waits,
 * and the decision types the keys the pattern names (a denial's reason after them, where
 * the program takes one). The same prompt still on screen is never asked twice; shown again
 * later, it is a new request.
 */
export class ScreenPrompts {
  private readonly logger = new Logger(ScreenPrompts.name);
  private readonly patterns: Array<{ pattern: PromptPattern; regex: RegExp }>;
  /** The prompt on screen now, and whether its answer was typed. */
  private current: { key: string; answered: boolean } | null = null;
  /** Appearances so far of each prompt text: the n-th one is its own tool use. */
  private readonly seen = new Map<string, number>();
  private latest: (lines: number) => string = () => '';
  private closed = false;

  constructor(
    patterns: readonly PromptPattern[],
    private readonly runId: string,
    private readonly decide: DecidePrompt,
    private readonly typing: PromptTyping,
  ) {
    this.patterns = patterns.map((pattern) => ({ pattern, regex: new RegExp(pattern.match, 'm') }));
  }

  /** The screen changed; `bottom(n)` is its last n lines. */
  look(bottom: (lines: number) => string): void {
    this.latest = bottom;
    if (this.closed) return;
    const found = this.find(bottom);
    const key = found && `${found.pattern.name}\u0000${found.text}`;
    if (this.current && this.current.key === key) return;
    // Still waiting for an answer to another prompt: that one is answered first.
    if (this.current && !this.current.answered) return;
    this.current = null;
    if (found && key) void this.ask(found, key);
  }

  close(): void {
    this.closed = true;
  }

  private find(bottom: (lines: number) => string): Found | null {
    for (const { pattern, regex } of this.patterns) {
      const match = regex.exec(bottom(pattern.lines));
      if (!match) continue;
      const groups = Object.fromEntries(Object.entries(match.groups ?? {}).flatMap(([name, value]) => (value === undefined ? [] : [[name, value.trim()]])));
      return { pattern, text: match[0].trim(), groups };
    }
    return null;
  }

  private async ask(found: Found, key: string): Promise<void> {
    const current = { key, answered: false };
    this.current = current;
    const appearance = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, appearance);
    const digest = createHash('sha256').update(key).digest('hex').slice(0, 12);
    const input = Object.fromEntries(Object.entries(found.groups).filter(([name]) => !META_GROUPS.has(name)));
    const question: PermissionQuestion = {
      toolUseId: `screen-${this.runId}-${digest}-${appearance}`,
      tool: found.groups.tool || found.pattern.tool || found.pattern.name,
      input,
    };
    try {
      const decided = await this.decide(question, found.groups.summary || found.text);
      if (!decided || this.closed) return;
      // Answered on the terminal itself meanwhile (the prompt went away): nothing to type.
      const now = this.find(this.latest);
      if (!now || `${now.pattern.name}\u0000${now.text}` !== key) {
        this.logger.log(`run ${this.runId}: the prompt for ${question.tool} left the screen before its answer; nothing typed`);
        return;
      }
      await this.type(found.pattern, decided);
    } catch (error) {
      this.logger.warn(`run ${this.runId}: answering the prompt for ${question.tool} failed: ${(error as Error).message}`);
    } finally {
      current.answered = true;
    }
  }

  private async type(pattern: PromptPattern, decided: ApprovalV1): Promise<void> {
    if (decided.status === 'allowed') {
      await this.typing.keys(decided.decision === 'allow_session' && pattern.keys.allow_session ? pattern.keys.allow_session : pattern.keys.allow_once);
      return;
    }
    await this.typing.keys(pattern.keys.deny);
    if (pattern.denyReason) await this.typing.text(denialMessage(decided));
  }
}
