import { Global, Module } from '@nestjs/common';
import { ConfigurableModuleBuilder } from '@nestjs/common';
import { PATCHBAY_CONFIG } from './config.constants';
import { PatchbayConfig } from './config.schema';

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<PatchbayConfig>().setClassMethodName('forRoot').build();

/** The validated configuration, injectable as PATCHBAY_CONFIG. */
@Global()
@Module({
  providers: [{ provide: PATCHBAY_CONFIG, inject: [MODULE_OPTIONS_TOKEN], useFactory: (c: PatchbayConfig) => c }],
  exports: [PATCHBAY_CONFIG],
})
export class ConfigModule extends ConfigurableModuleClass {}
