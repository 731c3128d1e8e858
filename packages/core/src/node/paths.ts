import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs'
import { homedir, tmpdir, userInfo } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { folderNameProblem, readEnv } from '../config.js'
import { PathError } from '../errors.js'

const APP = 'twat-cache'
const IS_WINDOWS = process.platform === 'win32'

export interface CacheDirOptions {
  /** Base directory; wins over `TWAT_CACHE_DIR`. A leading `~/` means the home directory. */
  cacheDir?: string | undefined
  /** Sub-folder of the base: `[A-Za-z0-9._-]+`, never `..`. */
  folderName?: string | undefined
  /** Create directories 0700 and tighten twat-cache's own directories to 0700. */
  secure: boolean
}

/**
 * The user's cache directory for twat-cache, following each platform's convention:
 * `$XDG_CACHE_HOME/twat-cache` or `~/.cache/twat-cache` (Linux and other Unixes),
 * `~/Library/Caches/twat-cache` (macOS), `%LOCALAPPDATA%\twat-cache\Cache` (Windows).
 * Does not create it.
 */
export function platformCacheDir(): string {
  const home = safeHome()
  if (process.platform === 'darwin') return join(home, 'Library', 'Caches', APP)
  if (IS_WINDOWS) {
    const local = readEnv('LOCALAPPDATA')
    return join(local && isAbsolute(local) ? local : join(home, 'AppData', 'Local'), APP, 'Cache')
  }
  // The XDG spec says relative values are invalid and must be ignored.
  const xdg = readEnv('XDG_CACHE_HOME')
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.cache'), APP)
}

/**
 * The absolute directory a persistent engine stores its files in, created if needed:
 * `cacheDir` ?? `TWAT_CACHE_DIR` ?? {@link platformCacheDir}, plus `folderName` if given.
 *
 * With `secure`, directories it creates are 0700, and twat-cache's own directories (the
 * platform default and `folderName` folders) are tightened to 0700 if an earlier run left
 * them open. A base directory you named yourself (which may be shared, like `/tmp`) is never
 * chmod-ed. Throws `PathError` saying why when the folder name or the location is unusable.
 */
export function resolveCacheDir(options: CacheDirOptions): string {
  const { folderName, secure } = options
  if (folderName !== undefined) {
    const why = folderNameProblem(folderName)
    if (why) throw new PathError(`${why}; use a plain folder name such as 'my-app', or pass cacheDir for a full path`)
  }
  const named = options.cacheDir ?? readEnv('TWAT_CACHE_DIR')
  const base = named === undefined ? platformCacheDir() : resolve(expandHome(named))
  ensureDir(base, secure, named === undefined)
  if (folderName === undefined) return base
  const dir = join(base, folderName)
  ensureDir(dir, secure, true)
  return dir
}

/**
 * Create `path` as an empty file if it does not exist, 0600 with `secure` (and tighten an
 * existing file of ours to 0600). SQLite gives its -wal and -shm files the mode of the
 * database file, so preparing the database file this way covers them too.
 */
export function ensureFile(path: string, options: { secure: boolean }): void {
  try {
    closeSync(openSync(path, 'a', options.secure ? 0o600 : 0o666))
  } catch (cause) {
    throw new PathError(`cannot open or create ${path}: ${reason(cause)}`, { cause })
  }
  if (options.secure) tighten(path, 0o600, 'file')
}

function ensureDir(dir: string, secure: boolean, ours: boolean): void {
  let created: string | undefined
  try {
    created = mkdirSync(dir, { recursive: true, mode: secure ? 0o700 : 0o777 })
  } catch (cause) {
    throw new PathError(`cannot create cache directory ${dir}: ${reason(cause)}`, { cause })
  }
  let stats
  try {
    stats = statSync(dir)
  } catch (cause) {
    throw new PathError(`cannot use cache directory ${dir}: ${reason(cause)}`, { cause })
  }
  if (!stats.isDirectory()) throw new PathError(`cache directory ${dir} exists but is not a directory; remove it or choose another cacheDir`)
  if (secure && ours && created === undefined) tighten(dir, 0o700, 'directory')
}

/** chmod to `mode` if group/other have any access; a path we cannot tighten is an error. */
function tighten(path: string, mode: number, what: string): void {
  if (IS_WINDOWS) return
  const current = statSync(path).mode & 0o777
  if ((current & 0o077) === 0) return
  try {
    chmodSync(path, mode)
  } catch (cause) {
    throw new PathError(
      `cache ${what} ${path} is readable by other users (mode ${current.toString(8)}) and cannot be made private: ${reason(cause)}; fix its permissions or pass secure: false`,
      { cause },
    )
  }
}

function expandHome(path: string): string {
  if (path === '~') return safeHome()
  if (path.startsWith('~/') || (IS_WINDOWS && path.startsWith('~\\'))) return join(safeHome(), path.slice(2))
  return path
}

/** Some containers run with no home directory: fall back to a per-user temp folder. */
function safeHome(): string {
  const home = homedir()
  if (home && isAbsolute(home)) return home
  let user = 'user'
  try {
    user = userInfo().username || user
  } catch {
    // No passwd entry for this uid: the generic name still gives a usable path.
  }
  return join(tmpdir(), `${APP}-${user}`)
}

export function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'ENOSPC':
      return 'no space left on the device'
    case 'EROFS':
      return 'the file system is read-only'
    case 'ENOTDIR':
      return 'a parent of it is a file, not a directory'
    case 'EEXIST':
      return 'a file with that name already exists'
    default:
      return error instanceof Error ? error.message : String(error)
  }
}
