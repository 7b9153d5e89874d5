import { Module } from '@nestjs/common';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { SecurityModule } from '@patchbay/security';
import { TmuxClient } from '@patchbay/tmux';
import { HeldSessions } from '@patchbay/bus';
import { HeldSessionsController } from './held-sessions.controller';
import { RunnerController } from './runner.controller';
import { RunnerService } from './runner.service';

@Module({
  imports: [SecurityModule],
  controllers: [RunnerController, HeldSessionsController],
  providers: [
    RunnerService,
    HeldSessions,
    {
      provide: TmuxClient,
      inject: [PATCHBAY_CONFIG],
      useFactory: (config: PatchbayConfig) => new TmuxClient(config.tmux.socket),
    },
  ],
})
export class RunnerModule {}
