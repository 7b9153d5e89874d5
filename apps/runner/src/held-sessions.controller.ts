import { Controller, OnModuleInit } from '@nestjs/common';
import { HeldSessions, OnHeldSession } from '@patchbay/bus';
import { ControlResultV1, InputResultV1, ScreenV1, SessionControlV1, SessionInputV1, SessionKeysV1 } from '@patchbay/contracts';
import { RunnerService } from './runner.service';

/**
 * What a runner answers for the sessions it holds (a run there, live or waiting for a slot):
 * subscribed per session while it is held, so only its runner answers.
 */
@Controller()
export class HeldSessionsController implements OnModuleInit {
  constructor(
    private readonly runner: RunnerService,
    private readonly sessions: HeldSessions,
  ) {}

  onModuleInit(): void {
    this.sessions.serve(this);
  }

  @OnHeldSession('session.*.input')
  input(sessionId: string, { text, enter }: SessionInputV1): Promise<InputResultV1> {
    return this.runner.input(sessionId, text, enter);
  }

  @OnHeldSession('session.*.keys')
  keys(sessionId: string, { keys }: SessionKeysV1): Promise<InputResultV1> {
    return this.runner.keys(sessionId, keys);
  }

  @OnHeldSession('session.*.control')
  control(sessionId: string, { action, by }: SessionControlV1): Promise<ControlResultV1> {
    return this.runner.control(sessionId, action, by);
  }

  @OnHeldSession('session.*.screen')
  screen(sessionId: string): Promise<ScreenV1> {
    return this.runner.screen(sessionId);
  }
}
