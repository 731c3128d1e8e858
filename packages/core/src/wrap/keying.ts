import { describeValue } from '../config.js'
import { CacheKeyError } from '../errors.js'
import { stableKey } from '../keys/stable-key.js'
import type { Engine } from '../types.js'
import { isThenable } from './pipeline.js'

/**
 * The key of one call: from the arguments, and for a decorated method without a custom `key`,
 * from the instance too. `self` comes second so `stableKey` itself is a `KeyFor` (no wrapper
 * call on the hot path of plain functions).
 */
export type KeyFor = (args: unknown[], self: unknown) => string

/**
 * - a custom `key` is the user's alone, for functions and methods alike: it is what makes a
 *   method's entries hit across instances and processes on persistent engines;
 * - otherwise a plain function keys by its arguments;
 * - a decorated method keys per instance (see `instanceScope` for persistent/shared engines).
 */
export function keyBuilder(userKey: ((...args: never[]) => string) | undefined, perInstance: boolean, engine: Engine): KeyFor {
  if (userKey) {
    const key = userKey as (...args: unknown[]) => unknown
    return (args) => {
      const k = key(...args)
      // `undefined` would give every call one entry; an object or a promise, no hit ever.
      if (typeof k !== 'string') throw new CacheKeyError(`the key option must return a string, got ${isThenable(k) ? 'a promise (key functions are sync)' : describeValue(k)}: return one, e.g. \`key: (id) => String(id)\``)
      return k
    }
  }
  if (!perInstance) return stableKey
  const scope = instanceScope(engine)
  return (args, self) => {
    const key = `${scope}${instanceId(self)}:${stableKey(args)}`
    // Reading a character flattens the concatenation, which V8's Map lookup would otherwise
    // copy on a slow path (measured: most of the key builder's own gain).
    key.charCodeAt(0)
    return key
  }
}

// Per-instance keys for decorated methods: a counter per object, held weakly so caching a
// method never keeps an instance alive.
const instanceIds = new WeakMap<object, number>()
let nextInstanceId = 0
function instanceId(self: unknown): number | string {
  if (self === null || (typeof self !== 'object' && typeof self !== 'function')) return '-'
  let id = instanceIds.get(self)
  if (id === undefined) instanceIds.set(self, (id = ++nextInstanceId))
  return id
}

/**
 * Instance counters restart in every process, so on an engine that outlives the process or is
 * shared with others, instance 1 of one process must not read instance 1 of another: their keys
 * are scoped by a random token drawn once per process (when first needed). Such entries are
 * never read again by a later process; give the method a `key` to share them.
 */
let processToken: string | undefined
function instanceScope(engine: Engine): string {
  const caps = engine.capabilities
  if (!caps.persistent && caps.shared === 'process') return ''
  if (processToken === undefined) {
    const words = crypto.getRandomValues(new Uint32Array(3))
    processToken = Array.from(words, (w) => w.toString(36)).join('')
  }
  return `${processToken}.`
}
