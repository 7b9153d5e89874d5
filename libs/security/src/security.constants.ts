/** The Redactor of this process, built from its config. */
export const REDACTOR = Symbol('REDACTOR');
