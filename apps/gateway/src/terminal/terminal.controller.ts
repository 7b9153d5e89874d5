import { Body, Controller, Get, HttpCode, HttpException, HttpStatus, Param, Post, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { z } from 'zod';
import { Bus } from '@patchbay/bus';
import { InputResultV1, ScreenV1, SessionInputV1, SessionKeysV1, SessionTypeV1 } from '@patchbay/contracts';
import { actingUserOf, ApiCaller, Caller } from '../auth/caller';
import { MinRole } from '../auth/route-access.decorator';
import { parseBody } from '../parse-body';
import { requireId } from '../query-params';
import { LiveScreens } from './live-screens';
import { ScreenStreams } from './screen-streams.service';

const InputBody = z.object({ text: SessionInputV1.shape.text, enter: z.boolean().default(true) }).strict();
const KeysBody = SessionKeysV1.strict();

/**
 * The terminal view of a live terminal-mode or bridged session: its pane (once, or as a
 * stream of changes) and typing into it. 409 when nobody holds the session's terminal.
 */
@Controller('api/sessions')
@MinRole('viewer')
export class TerminalController {
  constructor(
    private readonly bus: Bus,
    private readonly screens: LiveScreens,
    private readonly streams: ScreenStreams,
  ) {}

  @Get(':id/screen')
  screen(@Param('id') id: string): Promise<ScreenV1> {
    return this.screens.screen(requireId(id, 'session'));
  }

  /**
   * Server-sent events: `screen` with a ScreenV1 now and each time the pane changes (asked
   * every 250 ms while anyone watches the session), `end` when it has no live terminal any
   * more. 429 past the open-stream limits shared with the event streams.
   */
  @Get(':id/screen/stream')
  async stream(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const started = await this.streams.start(res, requireId(id, 'session'), req.socket.remoteAddress ?? 'unknown');
    if ('refused' in started) throw new HttpException(started.refused, HttpStatus.TOO_MANY_REQUESTS);
  }

  /** Types text into the pane, then Enter unless `enter` is false. */
  @Post(':id/input')
  @MinRole('operator')
  @HttpCode(HttpStatus.OK)
  input(@Param('id') id: string, @Body() body: unknown, @Caller() caller: ApiCaller): Promise<InputResultV1> {
    const { text, enter } = parseBody(InputBody, body);
    return this.type(id, caller, { kind: 'text', text, enter });
  }

  /** Presses tmux keys (`C-c`, `Enter`, `Up`, a character…) in the pane. */
  @Post(':id/keys')
  @MinRole('operator')
  @HttpCode(HttpStatus.OK)
  keys(@Param('id') id: string, @Body() body: unknown, @Caller() caller: ApiCaller): Promise<InputResultV1> {
    const { keys } = parseBody(KeysBody, body);
    return this.type(id, caller, { kind: 'keys', keys });
  }

  /** The engine checks the caller's role and audits the typing, as for chat input, then hands it to the session's runner. */
  private type(id: string, caller: ApiCaller, input: SessionTypeV1['input']): Promise<InputResultV1> {
    return this.bus.request('sessions.type', { sessionId: requireId(id, 'session'), by: actingUserOf(caller), input });
  }
}
