import type { PromptPattern } from '@patchbay/config';

/** How Claude Code's TUI is answered: 1 is "Yes"; Escape is "No, and tell Claude what to do differently", whose reason is typed next. */
const CLAUDE_KEYS = { allow_once: ['1'], deny: ['Escape'] };

/**
 * Claude Code's own permission prompt in its TUI (checked against the strings of claude
 * 2.1.x): a header naming the tool ("Bash command", "Edit file", "Create file"), what it
 * would do, then "Do you want to proceed?" and the numbered choices. "Allow for this
 * session" types 1 as well: option 2 ("don't ask again") is not always offered, and in
 * its place 2 would be "No"; Patchbay remembers the session's allowance itself and
 * answers the next identical prompt without asking.
 */
export const CLAUDE_TUI_PROMPTS: readonly PromptPattern[] = [
  {
    name: 'claude-bash',
    match: String.raw`(?<tool>Bash) command[ │]*\n[\s│]*(?<command>[^\n│]*[^\s│])[^\n]*\n[\s\S]*?Do you want to proceed\?[\s\S]*?1\. Yes`,
    lines: 40,
    keys: CLAUDE_KEYS,
    denyReason: true,
  },
  {
    name: 'claude-edit',
    match: String.raw`(?<tool>Edit) file[ │]*\n[\s│]*(?<file_path>[^\n│]*[^\s│])[\s\S]*?Do you want to[\s\S]*?1\. Yes`,
    lines: 40,
    keys: CLAUDE_KEYS,
    denyReason: true,
  },
  {
    name: 'claude-write',
    match: String.raw`Create file[ │]*\n[\s│]*(?<file_path>[^\n│]*[^\s│])[\s\S]*?Do you want to[\s\S]*?1\. Yes`,
    tool: 'Write',
    lines: 40,
    keys: CLAUDE_KEYS,
    denyReason: true,
  },
  // Any other tool claude asks about: the prompt's lines are what people see.
  { name: 'claude-tool', match: String.raw`Do you want to proceed\?[\s\S]*?1\. Yes`, tool: 'Tool', lines: 20, keys: CLAUDE_KEYS, denyReason: true },
];

/** A profile's `prompts` as patterns: `claude` stands for CLAUDE_TUI_PROMPTS. */
export function promptPatterns(entries: ReadonlyArray<'claude' | PromptPattern> | undefined): PromptPattern[] {
  return (entries ?? []).flatMap((entry) => (entry === 'claude' ? CLAUDE_TUI_PROMPTS : [entry]));
}
