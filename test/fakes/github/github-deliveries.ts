import { randomUUID } from 'node:crypto';
import examples from '@octokit/webhooks-examples';
import { signBody } from '../../../plugins/github/src/github-signature';

/**
 * Real webhook deliveries, from @octokit/webhooks-examples (GitHub's own examples: issue 1
 * and pull request 2 of Codertocat/Hello-World, sent by Codertocat, id 21031067).
 */
export function exampleDelivery(event: string, action: string, index = 0): Record<string, any> {
  const found = examples.find((e) => e.name === event)?.examples.filter((e) => (e as { action?: string }).action === action)[index];
  if (!found) throw new Error(`no example of ${event}.${action} #${index}`);
  return structuredClone(found) as Record<string, any>;
}

/** The headers GitHub sends with a delivery, signed with `secret`. */
export function deliveryHeaders(event: string, body: string, secret: string, delivery = randomUUID()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/abc123',
    'x-github-event': event,
    'x-github-delivery': delivery,
    'x-github-hook-id': '1',
    'x-hub-signature-256': signBody(secret, body),
  };
}
