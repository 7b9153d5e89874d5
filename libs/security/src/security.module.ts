import { Global, Module } from '@nestjs/common';
import { PATCHBAY_CONFIG, PatchbayConfig } from '@patchbay/config';
import { Redactor } from './redactor';
import { REDACTOR } from './security.constants';

/** The process's Redactor (from its validated config), injectable as REDACTOR in every role. */
@Global()
@Module({
  providers: [{ provide: REDACTOR, inject: [PATCHBAY_CONFIG], useFactory: (config: PatchbayConfig) => Redactor.fromConfig(config) }],
  exports: [REDACTOR],
})
export class SecurityModule {}
