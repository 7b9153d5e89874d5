/** MetricsModule's options (MetricsModuleOptions), for the gateway's /metrics. */
export const METRICS_OPTIONS = Symbol('METRICS_OPTIONS');
