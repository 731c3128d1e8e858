import { warnOnce } from '../logger.js'
import { hash128 } from './hash.js'

/** Hex characters of the source hash in a namespace: 48 bits, ample to tell versions of one function apart. */
const SOURCE_HASH_LENGTH = 12

// Namespaces handed out, base → how many. The source does not tell two function
// objects apart: anonymous, bound and native ones, and named closures made by one factory
// (`scale` with factor 2 and with 3). The same function object always gets its own namespace
// back; a different one with the same source gets the next suffix, in creation order, so a
// program that wraps the same functions in the same order gets the same namespaces on every run.
const handedOut = new Map<string, number>()
const given = new WeakMap<object, string>()

function sourceHash(source: string): string {
  return hash128(source).slice(0, SOURCE_HASH_LENGTH)
}

function numbered(fn: object, base: string): string {
  const known = given.get(fn)
  if (known !== undefined) return known
  const count = (handedOut.get(base) ?? 0) + 1
  handedOut.set(base, count)
  const namespace = count === 1 ? base : `${base}-${count}`
  given.set(fn, namespace)
  return namespace
}

/**
 * The namespace a cached function gets when none is configured: its name (or `anonymous`),
 * `-`, and 12 hex characters of the hash of its source, e.g. `area-3f2a9c01d4e7`. Editing
 * the function changes the namespace, so a persistent cache never serves results of old code;
 * pass an explicit `namespace` to keep entries across edits.
 *
 * The same function object wrapped twice shares its namespace. Distinct functions cannot be
 * told apart by their source (closures of one factory, anonymous, bound and native functions):
 * each further one gets a `-2`, `-3`, … suffix in creation order, so they never share entries
 * by accident; for a named one this is warned about once, since it is either a factory (pass
 * each its own `namespace` to keep them apart across processes) or a cached function created
 * on every call (create it once).
 */
export function defaultNamespace(fn: (...args: never[]) => unknown): string {
  const source = String(fn)
  const name = fn.name
  // `new Function(...)` names its result 'anonymous'.
  const anonymous = name === '' || name === 'anonymous'
  const base = `${anonymous ? 'anonymous' : name}-${sourceHash(source)}`
  const namespace = numbered(fn, base)
  // Numbering is expected for anonymous functions, and for bound functions and built-ins, which
  // print as `function x() { [native code] }`; for a named function it means a factory or a
  // function wrapped per call, which the user should know about.
  const opaque = anonymous || name.startsWith('bound ') || source.endsWith('{ [native code] }')
  if (namespace !== base && !opaque) {
    warnOnce(
      `namespace:${base}`,
      name,
      `another function '${name}' with the same source is already cached, so this one gets namespace '${namespace}' ` +
        `(their entries are kept apart, since closures may compute different results). If you create the cached ` +
        `function on every call, create it once instead; to keep several apart across processes, pass each its own ` +
        '`namespace`; to share entries on purpose, pass the same `namespace`.',
    )
  }
  return namespace
}

/**
 * The namespace of a decorated method: `ClassName.method-<hash of the method's source>`.
 * The class name keeps two classes' same-named, same-source methods apart.
 */
export function methodNamespace(className: string, methodName: string | symbol, fn: (...args: never[]) => unknown): string {
  const method = typeof methodName === 'symbol' ? `[${methodName.description ?? 'symbol'}]` : methodName
  return `${className || 'anonymous'}.${method}-${sourceHash(String(fn))}`
}

/**
 * A namespace as written into key names that end it with `:` (`<prefix><namespace>:<key>`), for
 * engines that list or clear a namespace by that prefix (redis, cloudflare-kv): `:` and `%` are
 * percent-encoded, so namespace `a` never lists, clears or collides with the keys of `a:b`, and
 * the encoding cannot collide with a namespace that already contains `%3A`.
 */
export function encodeNamespace(namespace: string): string {
  return namespace.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'))
}
