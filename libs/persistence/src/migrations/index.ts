import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261121083713 } from './Migration20261121083713_initial';
import { Migration20261121093000 } from './Migration20261121093000_live_sessions';
import { Migration20261121100000 } from './Migration20261121100000_jobs';
import { Migration20261121101000 } from './Migration20261121101000_access';
import { Migration20261121102000 } from './Migration20261121102000_task_lifecycle';
import { Migration20261207140000 } from './Migration20261207140000_content_digest';
import { Migration20261207170000 } from './Migration20261207170000_approvals';
import { Migration20261207200000 } from './Migration20261207200000_approval_decider';
import { Migration20261208000000 } from './Migration20261208000000_dashboard_admin';

/** Every migration, oldest first. `npm run db:migration` writes a new file; list it here. */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261121083713_initial', class: Migration20261121083713 },
  { name: 'Migration20261121093000_live_sessions', class: Migration20261121093000 },
  { name: 'Migration20261121100000_jobs', class: Migration20261121100000 },
  { name: 'Migration20261121101000_access', class: Migration20261121101000 },
  { name: 'Migration20261121102000_task_lifecycle', class: Migration20261121102000 },
  { name: 'Migration20261207140000_content_digest', class: Migration20261207140000 },
  { name: 'Migration20261207170000_approvals', class: Migration20261207170000 },
  { name: 'Migration20261207200000_approval_decider', class: Migration20261207200000 },
  { name: 'Migration20261208000000_dashboard_admin', class: Migration20261208000000 },
];
