export * from './conformance';
export * from './memory-transport';
export * from './virtual-clock';
export * from './output-events';
export * from './engine-stub';
