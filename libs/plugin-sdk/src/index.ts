export * from './channel/buttons';
export * from './channel/channel';
export * from './commands';
export * from './render';
export * from './recent-ids';
