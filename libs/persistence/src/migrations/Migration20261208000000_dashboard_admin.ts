import { Migration } from '@mikro-orm/migrations';

/**
 * Who made a task's status change, where Patchbay knows (the sender, who stopped or retried
 * it); and the chats messages came from, by chat, for the dashboard's list of known chats.
 */
export class Migration20261208000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "task_transition" add column "by" varchar(250) null;`);
    this.addSql(`create index "inbound_message_channel_chat_id_received_at_index" on "inbound_message" ("channel", "chat_id", "received_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "inbound_message_channel_chat_id_received_at_index";`);
    this.addSql(`alter table "task_transition" drop column "by";`);
  }
}
