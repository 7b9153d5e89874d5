/** What the terminal view sends for what xterm reports typed: literal text, or tmux key names. */
export type Typed = { text: string } | { keys: string[] };

/** Escape sequences xterm sends for special keys, as tmux names them. */
const SEQUENCES: Record<string, string> = {
  '\r': 'Enter',
  '\x7f': 'BSpace',
  '\t': 'Tab',
  '\x1b': 'Escape',
  '\x1b[A': 'Up',
  '\x1b[B': 'Down',
  '\x1b[C': 'Right',
  '\x1b[D': 'Left',
  '\x1b[H': 'Home',
  '\x1b[F': 'End',
  '\x1b[2~': 'IC',
  '\x1b[3~': 'DC',
  '\x1b[5~': 'PPage',
  '\x1b[6~': 'NPage',
  '\x1bOP': 'F1',
  '\x1bOQ': 'F2',
  '\x1bOR': 'F3',
  '\x1bOS': 'F4',
};

/**
 * Splits what xterm reports (one key, or a pasted run of text) into text runs and key
 * presses, in order. Ctrl+letter arrives as a control character: C-a … C-z. Sequences it
 * does not know are dropped rather than typed as garbage.
 */
export function typedOf(data: string): Typed[] {
  const out: Typed[] = [];
  const key = (name: string) => {
    const last = out.at(-1);
    if (last && 'keys' in last && last.keys.length < 20) last.keys.push(name);
    else out.push({ keys: [name] });
  };
  let text = '';
  const flush = () => {
    if (text) out.push({ text });
    text = '';
  };
  for (let i = 0; i < data.length;) {
    const sequence =
      data[i] === '\x1b'
        ? Object.keys(SEQUENCES)
            .filter((s) => s.length > 1 && data.startsWith(s, i))
            .sort((a, b) => b.length - a.length)[0]
        : undefined;
    if (sequence) {
      flush();
      key(SEQUENCES[sequence]);
      i += sequence.length;
      continue;
    }
    const char = data[i];
    i++;
    if (SEQUENCES[char]) {
      flush();
      key(SEQUENCES[char]);
    } else if (char < ' ') {
      flush();
      key(`C-${String.fromCharCode(char.charCodeAt(0) + 96)}`);
    } else text += char;
  }
  flush();
  return out;
}
