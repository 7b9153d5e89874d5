import { BadRequestException, Body, Controller, Headers, HttpStatus, NotFoundException, Post, Res, UnauthorizedException } from '@nestjs/common';
import type { Response } from 'express';
import { GitHubPlugin, InvalidDeliveryError } from '@patchbay/plugin-github';
import { Public } from '../auth/route-access.decorator';
import { ChannelsService } from './channels.service';
import { bodyBytes } from '../http-bodies';

/**
 * GitHub's webhook: deliveries POSTed here, signed with the webhook secret (401 without a
 * valid X-Hub-Signature-256, checked on the bytes before anything parses them, and nothing
 * enqueued; 400 for a signed body that is not JSON). 202 once the request is handed to the
 * engine (agents run later, never inside the request), 200 for a delivery seen before or
 * one Patchbay does not act on.
 */
@Controller('webhooks/github')
@Public() // GitHub signs each delivery; the signature is the credential.
export class GitHubWebhookController {
  constructor(private readonly channels: ChannelsService) {}

  @Post()
  async deliver(
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
    @Headers('x-github-event') event?: string,
    @Headers('x-github-delivery') deliveryId?: string,
    @Headers('x-hub-signature-256') signature?: string,
    @Headers('content-type') contentType?: string,
  ): Promise<Record<string, unknown>> {
    const plugin = this.channels.plugins.get('github');
    if (!(plugin instanceof GitHubPlugin)) throw new NotFoundException('GitHub is not configured');
    try {
      const result = await plugin.receiveWebhook({ event, deliveryId, signature, contentType, rawBody: bodyBytes(body) });
      if (result.outcome === 'unauthorized') throw new UnauthorizedException('X-Hub-Signature-256 is missing or does not match the body');
      res.status(result.outcome === 'submitted' ? HttpStatus.ACCEPTED : HttpStatus.OK);
      return result;
    } catch (error) {
      if (error instanceof InvalidDeliveryError) throw new BadRequestException(error.message);
      throw error;
    }
  }
}
