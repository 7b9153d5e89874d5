import { Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { AccessDecider } from './access-decision';
import { ApiAccessGuard } from './api-access.guard';
import { ApiTokens } from './api-tokens';
import { DashboardSessions } from './dashboard-sessions';

const HOUR_MS = 3_600_000;

/** The API's access control: the token store, dashboard sessions and the global guard. */
export const AUTH_PROVIDERS: Provider[] = [
  ApiTokens,
  {
    provide: DashboardSessions,
    inject: [PATCHBAY_CONFIG],
    useFactory: (config: PatchbayConfig) => new DashboardSessions(config.http.sessionTtlHours * HOUR_MS, Date.now),
  },
  {
    provide: AccessDecider,
    inject: [ApiTokens, DashboardSessions, PATCHBAY_CONFIG],
    useFactory: (tokens: ApiTokens, sessions: DashboardSessions, config: PatchbayConfig) => new AccessDecider(tokens, sessions, config.http.allowedHosts),
  },
  { provide: APP_GUARD, useClass: ApiAccessGuard },
];
