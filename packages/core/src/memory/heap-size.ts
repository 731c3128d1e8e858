/**
 * A rough, deliberately high estimate of the heap bytes a value holds: what `maxBytes` bounds
 * on structured engines (the memory engine, and `lru`'s default `sizeCalculation`). Erring high
 * keeps the real heap under the bound. It walks the value once (cycles and shared objects are
 * counted once), so a set costs O(size of the value).
 *
 * The model, for 64-bit V8: a string is 16 bytes + 2 per UTF-16 unit (V8 stores ASCII in one:
 * high on purpose); a number, boolean, `undefined`, `null`, symbol or function 8; a bigint
 * 16 + 2 per decimal digit; an object 32 of header + 8 per slot (array element, Set member, Map entry,
 * which counts as a two-element array; own enumerable key and its value) + what the slots hold; an ArrayBuffer or typed
 * array 32 + `byteLength`. Date and RegExp count as empty objects.
 *
 * Deliberately small (it ships in every browser bundle of `mcache`); the selection helpers'
 * `estimateBytes`, which samples huge values, answers a different question (serialized size).
 */
export function estimateHeapSize(value: unknown): number {
  let total = 0
  const seen = new Set<object>()
  const stack = [value]
  while (stack.length > 0) {
    const item = stack.pop()
    // A bigint's decimal digits at 2 bytes each err high, like a string's.
    if (typeof item === 'string' || typeof item === 'bigint') total += 16 + 2 * String(item).length
    else if (typeof item !== 'object' || item === null || seen.has(item)) total += 8
    else {
      seen.add(item)
      total += 32
      if (ArrayBuffer.isView(item) || item instanceof ArrayBuffer) total += item.byteLength
      else {
        // Iterables (arrays, Sets, Maps: each entry a [key, value] pair, which errs high) by their
        // members, other objects by their own enumerable keys and values.
        const slots: unknown[] = Symbol.iterator in item ? [...(item as Iterable<unknown>)] : Object.entries(item).flat()
        // One push per slot: spreading a huge array into push() overflows the argument stack.
        for (const slot of slots) stack.push(slot)
        total += 8 * slots.length
      }
    }
  }
  return total
}
