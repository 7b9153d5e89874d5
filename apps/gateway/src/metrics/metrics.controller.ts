import { Controller, Get, Res } from '@nestjs/common';
import { Response } from 'express';
import { MinRole } from '../auth/route-access.decorator';
import { MetricsScraper } from './metrics-scraper';

@Controller()
export class MetricsHttpController {
  constructor(private readonly scraper: MetricsScraper) {}

  /** Prometheus text format; the same access as the API (a viewer's token once tokens are set). */
  @Get('metrics')
  @MinRole('viewer')
  async metrics(@Res() res: Response): Promise<void> {
    const text = await this.scraper.scrape();
    res.type(this.scraper.contentType).send(text);
  }
}
