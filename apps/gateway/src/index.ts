export * from './gateway.module';
export { webhookBodyReaders } from './channels/webhook-bodies';
