import { mkdirSync, statSync, utimesSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { ResourceError } from '@twat-cache/core'
import { writeFileAtomic } from '@twat-cache/core/node'
import { fileVersion } from './file-format.js'
import { withFileLock } from './file-lock.js'

/**
 * The one way this package writes a shared file (a namespace file, the tags file): under its
 * lock file (`.<name>.lock`), `produce` re-reads what it must merge and returns the new text,
 * which is written atomically (temp file + rename). Returns the version written (see
 * {@link fileVersion}), so the writer knows its own write when it looks again.
 *
 * Other processes notice a change by that version (inode, size, mtime) alone, one `stat`, which
 * is why every write must move it. A rename always brings a new inode, but a freed inode comes
 * back two writes later, and Linux stamps mtime from a clock that ticks every 1-10 ms: two
 * writes within one tick, of the same size, could look like none. So a write whose mtime did
 * not pass the previous one's is stamped 2 ms later (under the lock, so versions only grow).
 */
export function lockedWrite(path: string, secure: boolean, produce: () => string): string | undefined {
  const lockPath = join(dirname(path), `.${basename(path)}.lock`)
  const write = (): string | undefined => {
    const before = statSync(path, { throwIfNoEntry: false })?.mtimeMs
    writeFileAtomic(path, produce(), { secure })
    if (before !== undefined && statSync(path).mtimeMs <= before) {
      const stamp = (Math.floor(before) + 2) / 1000
      utimesSync(path, stamp, stamp)
    }
    return fileVersion(path)
  }
  try {
    try {
      return withFileLock(lockPath, secure, write)
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error
      // The directory was removed under us (someone purged the cache): recreate it once.
      mkdirSync(dirname(path), { recursive: true, ...(secure ? { mode: 0o700 } : {}) })
      return withFileLock(lockPath, secure, write)
    }
  } catch (error) {
    throw wrapWriteError(path, error)
  }
}

/** The errno code of `error` or of the error it wraps (`writeFileAtomic` wraps fs errors). */
export function errorCode(error: unknown): string | undefined {
  const own = (error as NodeJS.ErrnoException | undefined)?.code
  if (own !== undefined && !own.startsWith('E_')) return own
  return ((error as { cause?: NodeJS.ErrnoException } | undefined)?.cause)?.code
}

function wrapWriteError(path: string, error: unknown): ResourceError {
  const detail = error instanceof ResourceError ? error.message : `cannot write ${path}: ${(error as Error).message}`
  return new ResourceError(`${detail}; check free space and permissions, or choose another cacheDir`, { cause: error })
}
