/**
 * The built-in demo agent: streams a short scripted answer so a fresh install shows the
 * whole flow (message in, agent in tmux, output streamed back) with no agent CLI installed.
 * It is not an AI and says so.
 */
const prompt = process.argv.slice(2).join(' ');
const delayMs = Number(process.env.PATCHBAY_DEMO_DELAY_MS ?? 250);

const lines = [
  "[demo agent] This is Patchbay's built-in demo agent, not an AI.",
  `[demo agent] You said: "${prompt.length > 200 ? `${prompt.slice(0, 200)}…` : prompt}"`,
  '[demo agent] Your message reached the engine, which started me in a tmux session;',
  '[demo agent] each line you see was streamed from there as it was written.',
  '[demo agent] Install claude, codex or opencode (or set agents: in patchbay.yaml) for real work.',
];

async function main(): Promise<void> {
  for (const line of lines) {
    process.stdout.write(`${line}\n`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

void main();
