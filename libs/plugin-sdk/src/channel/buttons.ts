import type { ApprovalV1 } from '@patchbay/contracts';
import type { OutboundButton } from './channel';

/**
 * Buttons carry a command: pressed, the plugin submits that command from the chat, so the
 * engine checks the presser's role like any typed message. Ids stay within Telegram's 64
 * bytes of callback data.
 */
const BUTTONS: Record<string, (arg: string) => string> = {
  stop: () => '/stop',
  pair: (code) => `/pair approve ${code}`,
  once: (approval) => `/approve ${approval}`,
  session: (approval) => `/approve ${approval} session`,
  deny: (approval) => `/deny ${approval}`,
};

/** The button a live message carries while its run goes on. */
export function stopButton(sessionId: string): OutboundButton {
  return { id: `stop:${sessionId}`, label: 'Stop' };
}

/** Lets the sender of an open pairing request in (as an operator). */
export function approveButton(code: string, who: string): OutboundButton {
  return { id: `pair:${code}`, label: `Approve ${who}`.slice(0, 64) };
}

/** The answers to an agent's approval request; "for this session" only where it can apply (a scope). */
export function approvalButtons(approval: Pick<ApprovalV1, 'id' | 'scope'>): OutboundButton[] {
  return [
    { id: `once:${approval.id}`, label: 'Allow once' },
    ...(approval.scope !== null ? [{ id: `session:${approval.id}`, label: 'Allow for this session' }] : []),
    { id: `deny:${approval.id}`, label: 'Deny' },
  ];
}

/** The command a pressed button stands for; null for a button this Patchbay does not know. */
export function commandOfButton(id: string): string | null {
  const colon = id.indexOf(':');
  const make = colon > 0 ? BUTTONS[id.slice(0, colon)] : undefined;
  const arg = id.slice(colon + 1);
  return make && /^[A-Za-z0-9_-]+$/.test(arg) ? make(arg) : null;
}
