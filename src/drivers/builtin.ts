import { Registry } from './registry.js';
import type { Driver } from './types.js';
import { coreDriver } from './core/index.js';
import { proxyDriver } from './proxy/index.js';
import { dockerDriver } from './docker/index.js';
import { kubernetesDriver } from './kubernetes/index.js';

/** The drivers firebreak ships, in one list. */
export const BUILTIN_DRIVERS: readonly Driver<any, any>[] = [coreDriver, proxyDriver, dockerDriver, kubernetesDriver];

let shared: Registry | undefined;

/** The process-wide registry: built-in drivers plus any added with `registerDriver`. */
export function defaultRegistry(): Registry {
  shared ??= new Registry(BUILTIN_DRIVERS);
  return shared;
}

/** Adds a user driver to the default registry (one call, metadata checked). */
export function registerDriver(driver: Driver<any, any>): void {
  defaultRegistry().register(driver);
}
