import { BadRequestException, Body, Controller, ForbiddenException, Headers, HttpCode, HttpStatus, InternalServerErrorException, NotFoundException, Post } from '@nestjs/common';
import { InvalidUpdateError, TelegramPlugin, UpdateFailedError, WebhookSecretError } from '@patchbay/plugin-telegram';
import { Public } from '../auth/route-access.decorator';
import { ChannelsService } from './channels.service';
import { bodyBytes } from '../http-bodies';

/**
 * Telegram's webhook mode: updates POSTed here, proven by the secret header (403 without
 * it, checked before the body is parsed; 400 for a proven body that is not an update; 500
 * for an update whose handling failed, so that Telegram delivers it again).
 */
@Controller('webhooks/telegram')
@Public() // Telegram proves itself with the secret header.
export class TelegramWebhookController {
  constructor(private readonly channels: ChannelsService) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  async update(@Body() body: unknown, @Headers('x-telegram-bot-api-secret-token') secret?: string): Promise<{ ok: true }> {
    const plugin = this.channels.plugins.get('telegram');
    if (!(plugin instanceof TelegramPlugin)) throw new NotFoundException('Telegram is not configured');
    try {
      await plugin.handleWebhook(bodyBytes(body), secret);
    } catch (error) {
      if (error instanceof WebhookSecretError) throw new ForbiddenException(error.message);
      if (error instanceof InvalidUpdateError) throw new BadRequestException(error.message);
      // Logged by the plugin already; any non-2xx makes Telegram deliver the update again.
      if (error instanceof UpdateFailedError) throw new InternalServerErrorException(error.message);
      throw error;
    }
    return { ok: true };
  }
}
