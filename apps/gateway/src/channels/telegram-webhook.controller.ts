import { Body, Controller, ForbiddenException, Headers, HttpCode, HttpStatus, NotFoundException, Post } from '@nestjs/common';
import type { Update } from 'grammy/types';
import { TelegramPlugin, WebhookSecretError } from '@patchbay/plugin-telegram';
import { Public } from '../auth/route-access.decorator';
import { ChannelsService } from './channels.service';

/** Telegram's webhook mode: updates POSTed here, proven by the secret header (403 without it). */
@Controller('webhooks/telegram')
@Public() // Telegram proves itself with the secret header.
export class TelegramWebhookController {
  constructor(private readonly channels: ChannelsService) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  async update(@Body() update: Update, @Headers('x-telegram-bot-api-secret-token') secret?: string): Promise<{ ok: true }> {
    const plugin = this.channels.plugins.get('telegram');
    if (!(plugin instanceof TelegramPlugin)) throw new NotFoundException('Telegram is not configured');
    try {
      await plugin.handleWebhook(update, secret);
    } catch (error) {
      if (error instanceof WebhookSecretError) throw new ForbiddenException(error.message);
      throw error;
    }
    return { ok: true };
  }
}
