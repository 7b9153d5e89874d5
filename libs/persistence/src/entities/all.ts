/** Every entity, one line each; index.ts hands them all to MikroORM. */
export * from './approval.entity';
export * from './audit-entry.entity';
export * from './binding.entity';
export * from './identity.entity';
export * from './inbound-message.entity';
export * from './job-run.entity';
export * from './job.entity';
export * from './pairing-request.entity';
export * from './principal.entity';
export * from './session.entity';
export * from './task-transition.entity';
export * from './task.entity';
export * from './transcript-entry.entity';
