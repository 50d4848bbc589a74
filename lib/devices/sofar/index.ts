/** Sofar ME3000SP driver: descriptor, enums, passive-mode codec, normalizer, controller-side class. */
export * from './descriptor';
export * from './enums';
export * from './passive';
export * from './normalize';
export * from './inverter';
export * from './commands';
export * from './config';
export * from './plausibility';
export * from './device';
