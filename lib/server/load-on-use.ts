/**
 * Loads a dependency that only some gateways use — Redis for limits shared between gateways,
 * prom-client for metrics, rate-limiter-flexible once a login fails — when the first one is made, not when `wisp-rx/node` is imported:
 * a program that only opens client streams does not load them (together ~140 ms and 150
 * modules at startup).
 * @module
 */

/** The module `name`, loaded now (Node's `require`: every Node entry of wisp-rx is CommonJS). */
export function loadOnUse<T>(name: 'ioredis' | 'prom-client' | 'rate-limiter-flexible'): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, on purpose
  return require(name) as T;
}
