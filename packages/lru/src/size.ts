/**
 * A rough, deliberately high estimate of the heap bytes a value holds, used as lru-cache's
 * `sizeCalculation` when `maxBytes` is set. Erring high keeps the real heap under the bound.
 * It walks the value once (cycles and shared objects counted once), so a set costs O(size of
 * the value); pass `engineOptions.sizeCalculation` when you know your values better.
 */

// Approximate V8 costs on 64-bit: a pointer-sized slot, an object header, a hash-table entry.
const SLOT = 8
const HEADER = 32
const TABLE_ENTRY = 24

export function estimateSize(value: unknown): number {
  let total = 0
  const seen = new Set<object>()
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const item = stack.pop()
    switch (typeof item) {
      case 'string':
        // Two bytes per UTF-16 unit: V8 stores ASCII in one, so this errs high on purpose.
        total += 16 + 2 * item.length
        continue
      case 'bigint':
        total += 16 + SLOT * Math.ceil(item.toString(16).length / 16)
        continue
      case 'object':
        break
      case 'function':
      case 'symbol':
        total += HEADER
        continue
      default:
        // number, boolean, undefined: one slot (heap numbers are boxed, but small ints are not).
        total += SLOT
        continue
    }
    if (item === null) {
      total += SLOT
      continue
    }
    if (seen.has(item)) {
      total += SLOT
      continue
    }
    seen.add(item)
    if (ArrayBuffer.isView(item) || item instanceof ArrayBuffer) {
      total += HEADER * 2 + item.byteLength
    } else if (Array.isArray(item)) {
      total += HEADER + SLOT * item.length
      for (const element of item) stack.push(element)
    } else if (item instanceof Map) {
      total += HEADER + TABLE_ENTRY * item.size
      for (const [k, v] of item) stack.push(k, v)
    } else if (item instanceof Set) {
      total += HEADER + TABLE_ENTRY * item.size
      for (const v of item) stack.push(v)
    } else if (item instanceof Date) {
      total += HEADER
    } else if (item instanceof RegExp) {
      total += HEADER * 2 + 2 * item.source.length
    } else {
      total += HEADER
      for (const key of Object.keys(item)) {
        total += SLOT + 16 + 2 * key.length
        stack.push((item as Record<string, unknown>)[key])
      }
    }
  }
  return total
}
