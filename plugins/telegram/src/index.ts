export * from './telegram.plugin';
