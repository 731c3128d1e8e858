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
 * A circular doubly linked list of entries around a sentinel: `sentinel.next` is the oldest,
 * `sentinel.prev` the newest. The sentinel removes every null check from link and unlink.
 */
class List {
  readonly sentinel: Entry

  constructor() {
    const sentinel = new Entry('', undefined, 0)
    sentinel.prev = sentinel.next = sentinel
    this.sentinel = sentinel
  }

  get empty(): boolean {
    return this.sentinel.next === this.sentinel
  }

  push(entry: Entry): void {
    const sentinel = this.sentinel
    const last = sentinel.prev!
    last.next = entry
    entry.prev = last
    entry.next = sentinel
    sentinel.prev = entry
  }

  unlink(entry: Entry): void {
    const prev = entry.prev!
    const next = entry.next!
    prev.next = next
    next.prev = prev
    entry.prev = entry.next = null
  }

  /** Move to the newest end; already there (a hot key read twice in a row) costs one comparison. */
  bump(entry: Entry): void {
    const next = entry.next!
    if (next === this.sentinel) return
    const prev = entry.prev!
    prev.next = next
    next.prev = prev
    this.push(entry)
  }

  oldest(): Entry | undefined {
    const first = this.sentinel.next!
    return first === this.sentinel ? undefined : first
  }

  reset(): void {
    this.sentinel.prev = this.sentinel.next = this.sentinel
  }
}

/**
 * LRU: reads and writes move the entry to the newest end; the oldest is least recently used.
 * A linked list, not Map delete + re-insert: measured on hits over 1000 keys, the re-insert
 * (two more hash operations, and holes the Map must compact) was 3× slower per get.
 */
export class RecencyOrder extends List implements Order {
  add(entry: Entry): void {
    this.push(entry)
  }
  read(entry: Entry): void {
    this.bump(entry)
  }
  write(entry: Entry): void {
    this.bump(entry)
  }
  remove(entry: Entry): void {
    this.unlink(entry)
  }
  victim(): Entry | undefined {
    return this.oldest()
  }
}

/**
 * FIFO: reads change nothing; an overwrite counts as a new insertion (the value is new), as in
 * Python's cachetools.
 */
export class InsertionOrder extends RecencyOrder {
  override read(): void {}
}

/** A group of entries with the same read count, oldest first; buckets are ordered by count. */
export class Bucket extends List {
  freq: number
  prevBucket: Bucket | null = null
  nextBucket: Bucket | null = null
  constructor(freq: number) {
    super()
    this.freq = freq
  }
}

/**
 * LFU in O(1) (Shah, Mitra & Matani, 2010): a linked list of frequency buckets, each a list of
 * entries. A use moves an entry to the next bucket up; the victim is the oldest entry of the
 * lowest bucket, i.e. the least frequently used and, among those, the one that reached that
 * count first. Storing counts as one use; overwriting counts as one more.
 *
 * Hits must not allocate: a first version made a bucket per promotion and spent 90% of a
 * skewed-read benchmark in the garbage collector (~800 ns per get). Now an entry alone in its
 * bucket just bumps the bucket's count, and emptied buckets go to a free list for reuse.
 */
export class FrequencyOrder implements Order {
  #lowest: Bucket | null = null
  /** Emptied buckets, chained through `nextBucket`; never more than the entries ever stored. */
  #free: Bucket | null = null

  add(entry: Entry): void {
    let first = this.#lowest
    if (first === null || first.freq !== 1) first = this.#insertAfter(null, 1)
    first.push(entry)
    entry.bucket = first
  }

  read(entry: Entry): void {
    const from = entry.bucket!
    const freq = from.freq + 1
    const next = from.nextBucket
    const alone = from.sentinel.next === entry && entry.next === from.sentinel
    if (next !== null && next.freq === freq) {
      from.unlink(entry)
      next.push(entry)
      entry.bucket = next
      if (alone) this.#drop(from)
    } else if (alone) {
      // The bucket order is unchanged: no bucket holds freq + 1, and none between.
      from.freq = freq
    } else {
      const to = this.#insertAfter(from, freq)
      from.unlink(entry)
      to.push(entry)
      entry.bucket = to
    }
  }

  write(entry: Entry): void {
    this.read(entry)
  }

  remove(entry: Entry): void {
    const bucket = entry.bucket!
    bucket.unlink(entry)
    entry.bucket = null
    if (bucket.empty) this.#drop(bucket)
  }

  victim(): Entry | undefined {
    return this.#lowest?.oldest()
  }

  reset(): void {
    this.#lowest = null
    this.#free = null
  }

  #insertAfter(before: Bucket | null, freq: number): Bucket {
    let bucket = this.#free
    if (bucket === null) bucket = new Bucket(freq)
    else {
      this.#free = bucket.nextBucket
      bucket.freq = freq
    }
    const after = before === null ? this.#lowest : before.nextBucket
    bucket.prevBucket = before
    bucket.nextBucket = after
    if (after) after.prevBucket = bucket
    if (before) before.nextBucket = bucket
    else this.#lowest = bucket
    return bucket
  }

  #drop(bucket: Bucket): void {
    const { prevBucket, nextBucket } = bucket
    if (prevBucket) prevBucket.nextBucket = nextBucket
    else this.#lowest = nextBucket
    if (nextBucket) nextBucket.prevBucket = prevBucket
    bucket.reset()
    bucket.prevBucket = null
    bucket.nextBucket = this.#free
    this.#free = bucket
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
    entry.index = -1
  }
  victim(): Entry | undefined {
    const slots = this.#slots
    if (slots.length === 0) return undefined
    // Clamp: a user-supplied random() may return exactly 1.
    return slots[Math.min(slots.length - 1, Math.floor(this.#random() * slots.length))]
  }
  reset(): void {
    this.#slots = []
  }
}
