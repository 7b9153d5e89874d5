export * from './tmux.client';
