/**
 * Cache keys: the default key from a call's arguments, the default namespace of a cached
 * function, and the 128-bit hash both use. Edge-safe: no Node built-ins.
 */
export { hash128 } from './hash.js'
export { defaultNamespace, encodeNamespace, methodNamespace } from './namespace.js'
export { stableKey } from './stable-key.js'
