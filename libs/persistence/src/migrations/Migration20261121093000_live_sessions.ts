import { Migration } from '@mikro-orm/migrations';

/**
 * Sessions remember the agent's own session id, so follow-ups resume the conversation;
 * an inbound message may be input typed into a live session rather than a new task.
 */
export class Migration20261121093000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "session" add column "agent_session_id" varchar(200) null;`);
    this.addSql(`alter table "inbound_message" alter column "task_id" drop not null;`);
    this.addSql(`alter table "inbound_message" add column "session_id" varchar(40) null;`);
    this.addSql(`update "inbound_message" m set "session_id" = t."session_id" from "task" t where t."id" = m."task_id";`);
    this.addSql(
      `alter table "inbound_message" add constraint "inbound_message_session_id_foreign" foreign key ("session_id") ` +
        `references "session" ("id") on delete cascade deferrable initially deferred;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "inbound_message" drop column "session_id";`);
    this.addSql(`delete from "inbound_message" where "task_id" is null;`);
    this.addSql(`alter table "inbound_message" alter column "task_id" set not null;`);
    this.addSql(`alter table "session" drop column "agent_session_id";`);
  }
}
