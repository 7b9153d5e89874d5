import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnBusRequest } from '@patchbay/bus';
import { InputResultV1, SessionTypeV1 } from '@patchbay/contracts';
import { ENGINE_QUEUE } from '../engine.constants';
import { SessionTyping } from './session-typing';

/** Typing into live terminal sessions for the HTTP API (chats type through their messages and commands). */
@Controller()
export class SessionTypingController {
  constructor(private readonly typing: SessionTyping) {}

  @OnBusRequest('sessions.type', { queue: ENGINE_QUEUE })
  type(@Payload() request: SessionTypeV1): Promise<InputResultV1> {
    return this.typing.typeAs(request);
  }
}
