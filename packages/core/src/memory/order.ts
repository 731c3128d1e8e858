/**
 * Eviction orders for the memory engine, each O(1) per operation. An order tracks entries
 * (`Entry`, one shape for every policy so the engine's property accesses stay monomorphic) and
 * names the next victim; the engine owns the key → entry map.
 */

/** One cached value plus the links every policy needs. */
export class Entry {
  key: string
  value: unknown
  /** Absolute expiry time from the engine's clock; 0 means never (the common case, no clock read). */
  expires: number
  prev: Entry | null = null
  next: Entry | null = null
  /** LFU: the frequency bucket the entry is in. */
  bucket: Bucket | null = null
  /** RR: position in the slot array. */
  index = -1

  constructor(key: string, value: unknown, expires: number) {
    this.key = key
    this.value = value
    this.expires = expires
  }
}

export interface Order {
  /** A new entry was stored. */
  add(entry: Entry): void
  /** The entry was read (a hit). */
  read(entry: Entry): void
  /** The entry was overwritten. */
  write(entry: Entry): void
  remove(entry: Entry): void
  /** The entry to evict next, if any. */
  victim(): Entry | undefined
  reset(): void
}

/**
 * LRU: reads and writes move the entry to the newest end; the oldest is least recently used.
 * A circular doubly linked list around a sentinel (`sentinel.next` is the oldest,
 * `sentinel.prev` the newest), which removes every null check from link and unlink. Not Map
 * delete + re-insert: measured on hits over 1000 keys, the re-insert (two more hash
 * operations, and holes the Map must compact) was 3× slower per get.
 */
export class RecencyOrder implements Order {
  readonly sentinel = new Entry('', undefined, 0)

  constructor() {
    this.reset()
  }

  add(entry: Entry): void {
    const sentinel = this.sentinel
    const last = sentinel.prev!
    last.next = entry
    entry.prev = last
    entry.next = sentinel
    sentinel.prev = entry
  }

  remove(entry: Entry): void {
    const prev = entry.prev!
    const next = entry.next!
    prev.next = next
    next.prev = prev
  }

  read(entry: Entry): void {
    this.write(entry)
  }

  /** Move to the newest end; already there (a hot key read twice in a row) costs one comparison. */
  write(entry: Entry): void {
    if (entry.next === this.sentinel) return
    this.remove(entry)
    this.add(entry)
  }

  victim(): Entry | undefined {
    const first = this.sentinel.next!
    return first === this.sentinel ? undefined : first
  }

  reset(): void {
    const sentinel = this.sentinel
    sentinel.prev = sentinel.next = sentinel
  }
}

/**
 * FIFO: reads change nothing; an overwrite counts as a new insertion (the value is new), as in
 * Python's cachetools.
 */
export class InsertionOrder extends RecencyOrder {
  override read(): void {}
}

/**
 * A group of entries with the same use count, oldest first. Buckets form a ring in count order
 * around the order's head bucket (count 0, never holds entries).
 */
export class Bucket extends RecencyOrder {
  count = 0
  up: Bucket = this
  down: Bucket = this
}

/**
 * LFU in O(1) (Shah, Mitra & Matani, 2010): a ring of count buckets, each a list of entries.
 * A use moves an entry to the next bucket up; the victim is the oldest entry of the lowest
 * bucket, i.e. the least frequently used and, among those, the one that reached that count
 * first. Storing counts as one use; overwriting counts as one more.
 *
 * Hits must not allocate: a first version made a bucket per promotion and spent 90% of a
 * skewed-read benchmark in the garbage collector (~800 ns per get). Now an entry alone in its
 * bucket just bumps the bucket's count, and emptied buckets go to a free list for reuse.
 */
export class FrequencyOrder implements Order {
  readonly #head = new Bucket()
  /** Emptied buckets, chained through `up`; never more than the entries ever stored. */
  #free: Bucket | null = null

  add(entry: Entry): void {
    const head = this.#head
    this.#move(entry, head.up.count === 1 ? head.up : this.#insert(head, 1))
  }

  read(entry: Entry): void {
    const from = entry.bucket!
    const count = from.count + 1
    let to = from.up
    if (to.count !== count) {
      // No bucket holds count + 1. Alone, the entry takes its bucket up with it: the bucket
      // order is unchanged, and nothing moves.
      if (from.sentinel.next === entry && entry.next === from.sentinel) {
        from.count = count
        return
      }
      to = this.#insert(from, count)
    }
    this.remove(entry)
    this.#move(entry, to)
  }

  write(entry: Entry): void {
    this.read(entry)
  }

  remove(entry: Entry): void {
    const bucket = entry.bucket!
    bucket.remove(entry)
    if (bucket.victim() === undefined) {
      bucket.down.up = bucket.up
      bucket.up.down = bucket.down
      bucket.up = this.#free ?? bucket
      this.#free = bucket
    }
  }

  victim(): Entry | undefined {
    return this.#head.up.victim()
  }

  reset(): void {
    const head = this.#head
    head.up = head.down = head
    this.#free = null
  }

  #move(entry: Entry, to: Bucket): void {
    to.add(entry)
    entry.bucket = to
  }

  /** A bucket for `count` just above `below`, recycled when one is free. */
  #insert(below: Bucket, count: number): Bucket {
    const bucket = this.#free ?? new Bucket()
    // The free list ends with a bucket pointing at itself.
    this.#free = bucket.up === bucket ? null : bucket.up
    bucket.count = count
    bucket.down = below
    bucket.up = below.up
    below.up.down = bucket
    below.up = bucket
    return bucket
  }
}

/** RR: entries in an array; the victim is a random slot, removed by swapping in the last one. */
export class RandomOrder implements Order {
  #slots: Entry[] = []
  readonly #random: () => number

  constructor(random: () => number) {
    this.#random = random
  }

  add(entry: Entry): void {
    entry.index = this.#slots.push(entry) - 1
  }
  read(): void {}
  write(): void {}
  remove(entry: Entry): void {
    const slots = this.#slots
    const last = slots.pop()!
    if (last !== entry) {
      slots[entry.index] = last
      last.index = entry.index
    }
  }
  victim(): Entry | undefined {
    const slots = this.#slots
    // Clamp: a user-supplied random() may return exactly 1.
    return slots[Math.min(slots.length - 1, Math.floor(this.#random() * slots.length))]
  }
  reset(): void {
    this.#slots = []
  }
}
