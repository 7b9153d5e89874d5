export * from './git.client';
