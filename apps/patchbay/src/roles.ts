export const ROLES = ['gateway', 'engine', 'runner'] as const;
export type Role = (typeof ROLES)[number];
