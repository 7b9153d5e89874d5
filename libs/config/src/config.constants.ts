export const PATCHBAY_CONFIG = Symbol('PATCHBAY_CONFIG');
