import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { SecurityModule } from '@patchbay/security';
import { AccessHttpController } from './access.controller';
import { ApprovalsHttpController } from './approvals.controller';
import { AuthController } from './auth/auth.controller';
import { BindingsHttpController } from './bindings.controller';
import { AUTH_PROVIDERS } from './auth/auth.providers';
import { BusErrorFilter } from './bus-error.filter';
import { ChannelsService } from './channels/channels.service';
import { GitHubWebhookController } from './channels/github-webhook.controller';
import { TelegramWebhookController } from './channels/telegram-webhook.controller';
import { DashboardController } from './dashboard/dashboard.controller';
import { DeadLettersHttpController } from './dead-letters.controller';
import { DoctorController } from './doctor.controller';
import { HealthController } from './health.controller';
import { JobsHttpController } from './jobs.controller';
import { MessagesController } from './messages.controller';
import { MetricsHttpController } from './metrics/metrics.controller';
import { MetricsScraper } from './metrics/metrics-scraper';
import { OverviewController } from './overview.controller';
import { RouteNotFoundFilter } from './route-not-found.filter';
import { ReadinessService } from './readiness.service';
import { RunnerRegistry } from './runner-registry.service';
import { SessionStreams } from './session-streams.service';
import { SessionsController } from './sessions.controller';
import { StreamSlots } from './stream-slots';
import { TasksController } from './tasks.controller';
import { LiveScreens } from './terminal/live-screens';
import { ScreenPollers } from './terminal/screen-pollers';
import { ScreenStreams } from './terminal/screen-streams.service';
import { TerminalController } from './terminal/terminal.controller';

/** HTTP (the web page, health, metrics, the REST API, the local channel, session streams, webhooks) and the chat channels. */
@Module({
  imports: [SecurityModule],
  controllers: [
    AccessHttpController,
    ApprovalsHttpController,
    AuthController,
    BindingsHttpController,
    DashboardController,
    DeadLettersHttpController,
    DoctorController,
    GitHubWebhookController,
    HealthController,
    JobsHttpController,
    MessagesController,
    MetricsHttpController,
    OverviewController,
    SessionsController,
    TasksController,
    TelegramWebhookController,
    TerminalController,
  ],
  providers: [
    RunnerRegistry,
    ReadinessService,
    // One set of slots for every open SSE stream (session events and screens alike).
    {
      provide: StreamSlots,
      inject: [PATCHBAY_CONFIG],
      useFactory: (config: PatchbayConfig) => new StreamSlots({ perClient: config.http.maxStreamsPerClient, total: config.http.maxStreams }),
    },
    SessionStreams,
    LiveScreens,
    { provide: ScreenPollers, inject: [LiveScreens], useFactory: (screens: LiveScreens) => new ScreenPollers(screens) },
    ScreenStreams,
    ChannelsService,
    MetricsScraper,
    { provide: APP_FILTER, useClass: BusErrorFilter },
    { provide: APP_FILTER, useClass: RouteNotFoundFilter },
    ...AUTH_PROVIDERS,
  ],
})
export class GatewayModule {}
