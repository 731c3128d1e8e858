import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { ConcurrencyError } from '@twat-cache/core'

/**
 * A cross-process lock held while a cache file is read, merged and rewritten: a lock file made
 * with exclusive create (`wx`), holding `pid host`. Sync, because flushes run in sync engine
 * calls and in the exit hook.
 *
 * A holder that crashed leaves its lock file behind. It is stale when its process is gone (same
 * host, `kill(pid, 0)` fails), when it is older than `STALE_LOCK_MS` (another host, or a pid
 * reused since), or when it is empty and older than `EMPTY_LOCK_STALE_MS` (killed between
 * creating it and writing its pid). Breaking it takes a second, short-lived lock (`<lock>.break`), so two processes that
 * both found it stale cannot both break it and then delete each other's fresh lock.
 */

/** Flushes take milliseconds; a lock this old belongs to a process that is stuck or gone. */
export const STALE_LOCK_MS = 15_000
/**
 * A holder writes its pid right after creating the lock (two back-to-back calls), so an empty
 * lock this old was left by a process killed between them: waiting STALE_LOCK_MS for it would
 * make every other writer give up (they wait WAIT_MS) and retry later.
 */
const EMPTY_LOCK_STALE_MS = 2_000
const WAIT_MS = 10_000

const sleeper = new Int32Array(new SharedArrayBuffer(4))
const sleep = (ms: number): void => void Atomics.wait(sleeper, 0, 0, ms)
const HOST = hostname()

/** Run `fn` holding the lock `lockPath`; throws `ConcurrencyError` after waiting `WAIT_MS`. */
export function withFileLock<T>(lockPath: string, secure: boolean, fn: () => T): T {
  acquire(lockPath, secure)
  try {
    return fn()
  } finally {
    try {
      unlinkSync(lockPath)
    } catch {
      // Broken as stale by another process after STALE_LOCK_MS: nothing left to release.
    }
  }
}

function acquire(lockPath: string, secure: boolean): void {
  const deadline = Date.now() + WAIT_MS
  for (let attempt = 0; ; attempt++) {
    if (tryCreate(lockPath, secure)) return
    const holder = readHolder(lockPath)
    if (holder !== undefined && isStale(lockPath, holder)) breakLock(lockPath, holder, secure)
    else if (Date.now() > deadline) {
      throw new ConcurrencyError(
        `cannot lock ${lockPath}: held by ${holder ?? 'another process'} for more than ${WAIT_MS} ms; if no process is writing this cache, delete the lock file`,
      )
    } else sleep(Math.min(1 + attempt, 20))
  }
}

/** Exclusive create; `false` if the lock exists. Other errors (EACCES, ENOSPC) are thrown. */
function tryCreate(path: string, secure: boolean): boolean {
  let fd: number
  try {
    fd = openSync(path, 'wx', secure ? 0o600 : 0o666)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    writeSync(fd, `${process.pid} ${HOST}`)
  } finally {
    closeSync(fd)
  }
  return true
}

/** The lock's contents, or undefined if it vanished (released meanwhile). */
function readHolder(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

function isStale(path: string, holder: string): boolean {
  let age: number
  try {
    age = Date.now() - statSync(path).mtimeMs
  } catch {
    return false
  }
  // An empty file is a holder between its create and its write: only age can judge it.
  if (age > (holder === '' ? EMPTY_LOCK_STALE_MS : STALE_LOCK_MS)) return true
  const [pid, host] = holder.split(' ')
  if (host !== HOST || !pid) return false
  try {
    process.kill(Number(pid), 0)
    return false
  } catch (error) {
    // EPERM: alive, owned by another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

function breakLock(path: string, holder: string, secure: boolean): void {
  const breaker = `${path}.break`
  if (!tryCreate(breaker, secure)) {
    // Someone else is breaking it; a breaker that died mid-way is itself stale by age.
    const age = (() => {
      try {
        return Date.now() - statSync(breaker).mtimeMs
      } catch {
        return 0
      }
    })()
    if (age > STALE_LOCK_MS) unlinkQuietly(breaker)
    return
  }
  try {
    // Still the same stale holder (not a fresh lock taken since we looked)?
    if (readHolder(path) === holder) unlinkQuietly(path)
  } finally {
    unlinkQuietly(breaker)
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // Already gone.
  }
}
