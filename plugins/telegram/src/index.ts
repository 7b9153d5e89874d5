export * from './telegram.plugin';
export * from './telegram-errors';
