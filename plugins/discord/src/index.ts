export * from './discord.plugin';
