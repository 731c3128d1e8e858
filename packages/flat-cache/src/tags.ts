import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type SyncTagMethods, type TagMark, type TagState, newestMarks, warnOnce } from '@twat-cache/core'
import { fileVersion } from './file-format.js'
import { lockedWrite } from './file-write.js'

/*
 * Store-wide tag state (ARCHITECTURE.md §13) in one file per cache folder, `.twat-cache-tags.json`,
 * beside the namespace files and shared by all of them and by every process using the folder.
 *
 * - Reading costs one `stat` (the file is parsed again only when its version moved, see
 *   file-write.ts) plus a lookup per tag, so a tagged hit sees a mark made by any process as
 *   soon as that mark's call returned: marks are written at once, never debounced.
 * - Marking rewrites the file under its lock (re-read first, so concurrent marks merge; later
 *   marks win per tag). The file holds one record per tag, never keys: its size is the number
 *   of tags marked within the horizon, whatever the number of entries.
 * - Bounded: a record is kept `horizon` ms past its last mark (the longest lifetime of a tagged
 *   entry, from `keepTags`; `null` = forever) and dropped by the next mark after that.
 *
 * The file starts with a dot (like the lock files), so it is never taken for a namespace file.
 */

export const TAGS_FILE = '.twat-cache-tags.json'

const SCOPE = 'flat-cache'

interface TagRecord {
  invalidatedAt: number
  expiredAt: number
  /** Dropped after this (epoch ms); `null`: kept forever. */
  until: number | null
}

interface TagFile {
  /** `undefined`: no tagged entry was ever written here; `null`: one lives forever. */
  horizon: number | null | undefined
  records: Map<string, TagRecord>
}

const EMPTY = (): TagFile => ({ horizon: undefined, records: new Map() })

/** `null` ("forever") wins over any number. */
const longer = (a: number | null | undefined, b: number | null): number | null => (a === null || b === null ? null : Math.max(a ?? 0, b))

/** The file's contents; a missing file is empty, a damaged one is empty and logged once. */
function parse(path: string): TagFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY()
    throw error
  }
  try {
    // `[tag, invalidatedAt, expiredAt, until]` rows, not an object keyed by tag: a tag named
    // `constructor` or `__proto__` must not meet Object.prototype.
    const data = JSON.parse(text) as { horizon?: unknown; tags?: unknown }
    const horizon = data.horizon === null || typeof data.horizon === 'number' ? data.horizon : undefined
    if (!Array.isArray(data.tags)) throw new Error('expected { horizon, tags: [...] }')
    const records = new Map<string, TagRecord>()
    for (const row of data.tags as unknown[]) {
      if (!Array.isArray(row) || typeof row[0] !== 'string' || typeof row[1] !== 'number' || typeof row[2] !== 'number') throw new Error('malformed tag record')
      records.set(row[0], { invalidatedAt: row[1], expiredAt: row[2], until: typeof row[3] === 'number' ? row[3] : null })
    }
    return { horizon, records }
  } catch (error) {
    warnOnce(
      `flat-cache:tags-corrupt:${path}`,
      SCOPE,
      `tag file ${path} is unreadable (${(error as Error).message}); tag marks recorded in it are lost, it is rewritten by the next invalidateTags/expireTags`,
    )
    return EMPTY()
  }
}

function serialize({ horizon, records }: TagFile): string {
  const tags = [...records].map(([tag, r]) => [tag, r.invalidatedAt, r.expiredAt, r.until])
  return JSON.stringify(horizon === undefined ? { tags } : { horizon, tags })
}

/**
 * The tag methods of an engine on the folder `dir`. `guard` is the engine's closed check.
 * Each engine keeps its own parsed copy, checked against the file on every read.
 */
export function flatCacheTagMethods(dir: string, secure: boolean, guard: () => void): SyncTagMethods {
  const path = join(dir, TAGS_FILE)
  let seen: string | undefined
  let state = EMPTY()

  const current = (): TagFile => {
    const version = fileVersion(path)
    if (version !== seen) {
      // Version first: a write landing while we read is read again next time.
      state = parse(path)
      seen = version
    }
    return state
  }
  /** Rewrite the file from its latest contents, changed by `change`. */
  const update = (change: (file: TagFile, now: number) => void): void => {
    seen = lockedWrite(path, secure, () => {
      state = parse(path)
      change(state, Date.now())
      return serialize(state)
    })
  }

  return {
    readTags(tags: readonly string[]): TagState {
      guard()
      return newestMarks(current().records, tags)
    },

    markTags(tags: readonly string[], kind: TagMark, at: number): void {
      guard()
      update((file, now) => {
        // Never kept (no tagged entry was written here): no entry can carry the tag, but the
        // record still answers reads until the next mark compacts it.
        const until = file.horizon === undefined ? now : file.horizon === null ? null : now + file.horizon
        for (const [tag, record] of file.records) if (record.until !== null && record.until < now) file.records.delete(tag)
        for (const tag of tags) {
          const record = file.records.get(tag) ?? { invalidatedAt: 0, expiredAt: 0, until }
          if (kind === 'invalidate') record.invalidatedAt = Math.max(record.invalidatedAt, at)
          else record.expiredAt = Math.max(record.expiredAt, at)
          record.until = longer(record.until, until)
          file.records.set(tag, record)
        }
      })
    },

    keepTags(lifetime: number): void {
      guard()
      const wanted = Number.isFinite(lifetime) ? Math.ceil(lifetime) : null
      // The horizon only grows: no write when the file already keeps records this long.
      const { horizon } = current()
      if (longer(horizon, wanted) === horizon) return
      update((file) => {
        file.horizon = longer(file.horizon, wanted)
      })
    },
  }
}
