import { ConfigurableModuleBuilder, Module } from '@nestjs/common';
import { Database } from './database';
import { AccessStore } from './access.store';
import { ApprovalsStore } from './approvals.store';
import { EngineStore } from './engine.store';
import { JobsStore } from './jobs.store';

export interface PersistenceModuleOptions {
  /** postgres:// URL of the database (external, or the embedded one). */
  url: string;
}

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<PersistenceModuleOptions>()
  .setClassMethodName('forRoot')
  .build();

@Module({
  providers: [
    {
      provide: Database,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (options: PersistenceModuleOptions) => Database.connect(options.url),
    },
    EngineStore,
    AccessStore,
    JobsStore,
    ApprovalsStore,
  ],
  exports: [Database, EngineStore, AccessStore, JobsStore, ApprovalsStore],
})
export class PersistenceModule extends ConfigurableModuleClass {}
