import { ConfigurableModuleBuilder, Module } from '@nestjs/common';
import { Database } from './database';
import { AccessStore } from './access.store';
import { ApprovalsStore } from './approvals.store';
import { InboundStore } from './inbound.store';
import { JobsStore } from './jobs.store';
import { SessionsStore } from './sessions.store';
import { TasksStore } from './tasks.store';
import { TranscriptStore } from './transcript.store';

export interface PersistenceModuleOptions {
  /** postgres:// URL of the database (external, or the embedded one). */
  url: string;
}

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<PersistenceModuleOptions>().setClassMethodName('forRoot').build();

@Module({
  providers: [
    {
      provide: Database,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (options: PersistenceModuleOptions) => Database.connect(options.url),
    },
    InboundStore,
    SessionsStore,
    TasksStore,
    TranscriptStore,
    AccessStore,
    JobsStore,
    ApprovalsStore,
  ],
  exports: [Database, InboundStore, SessionsStore, TasksStore, TranscriptStore, AccessStore, JobsStore, ApprovalsStore],
})
export class PersistenceModule extends ConfigurableModuleClass {}
