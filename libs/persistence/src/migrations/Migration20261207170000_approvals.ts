import { Migration } from '@mikro-orm/migrations';

/** Approval requests of agents' tool uses and their answers; the routing rule of a session (its approval policy). */
export class Migration20261207170000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "approval" ("id" varchar(40) not null, "session_id" varchar(40) not null, "task_id" varchar(40) null, ` +
        `"agent" varchar(100) not null, "tool_use_id" varchar(200) not null, "tool" varchar(200) not null, "summary" text not null, ` +
        `"scope" varchar(500) null, "status" varchar(20) not null, "decision" varchar(20) null, "decided_by" varchar(250) null, ` +
        `"reason" text null, "requested_at" timestamptz not null, "expires_at" timestamptz not null, "decided_at" timestamptz null, ` +
        `constraint "approval_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "approval" add constraint "approval_session_id_tool_use_id_unique" unique ("session_id", "tool_use_id");`);
    this.addSql(`create index "approval_session_id_scope_decision_index" on "approval" ("session_id", "scope", "decision");`);
    this.addSql(`create index "approval_status_expires_at_index" on "approval" ("status", "expires_at");`);
    // Deferred like the other links; a session's approvals go with it.
    this.addSql(
      `alter table "approval" add constraint "approval_session_id_foreign" foreign key ("session_id") references "session" ("id") ` +
        `on delete cascade deferrable initially deferred;`,
    );
    this.addSql(`alter table "session" add column "route" varchar(100) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "approval" cascade;`);
    this.addSql(`alter table "session" drop column "route";`);
  }
}
