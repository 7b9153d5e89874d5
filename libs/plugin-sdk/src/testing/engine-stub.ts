import type { InboundMessageV1, Role } from '@patchbay/contracts';
import type { ChannelContext } from '../channel/channel';

type Answer = Awaited<ReturnType<ChannelContext['submit']>>;

/**
 * The engine as a plugin spec sees it: records what the plugin submits and answers with
 * `answer(message)`; roles by sender id (unknown senders: null).
 */
export class EngineStub implements ChannelContext {
  readonly submitted: InboundMessageV1[] = [];

  constructor(
    public answer: (message: InboundMessageV1) => Answer = () => ({}),
    public roles: Record<string, Role> = {},
  ) {}

  async submit(message: InboundMessageV1): Promise<Answer> {
    this.submitted.push(message);
    return this.answer(message);
  }

  async roleOf(senderId: string): Promise<Role | null> {
    return this.roles[senderId] ?? null;
  }
}
