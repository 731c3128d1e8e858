import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ensureFile, platformCacheDir, resolveCacheDir, writeFileAtomic } from '../src/node/index.js'
import { PathError, ResourceError } from '../src/errors.js'

const POSIX = process.platform !== 'win32'
const mode = (path: string) => statSync(path).mode & 0o777

let root: string
const saved: Record<string, string | undefined> = {}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'twat-paths-'))
  for (const name of ['TWAT_CACHE_DIR', 'XDG_CACHE_HOME']) saved[name] = process.env[name]
  delete process.env.TWAT_CACHE_DIR
})

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  rmSync(root, { recursive: true, force: true })
})

describe('resolveCacheDir', () => {
  it('creates cacheDir/folderName and returns it as an absolute path', () => {
    const dir = resolveCacheDir({ cacheDir: join(root, 'base'), folderName: 'my-app_1.0', secure: true })
    expect(dir).toBe(join(root, 'base', 'my-app_1.0'))
    expect(statSync(dir).isDirectory()).toBe(true)
  })

  it('resolves a relative cacheDir against the working directory', () => {
    const cwd = process.cwd()
    process.chdir(root)
    try {
      expect(resolveCacheDir({ cacheDir: 'rel', secure: false })).toBe(join(root, 'rel'))
    } finally {
      process.chdir(cwd)
    }
  })

  it.skipIf(!POSIX)('secure: every directory it creates is 0700', () => {
    const dir = resolveCacheDir({ cacheDir: join(root, 'a', 'b'), folderName: 'f', secure: true })
    expect(mode(join(root, 'a'))).toBe(0o700)
    expect(mode(join(root, 'a', 'b'))).toBe(0o700)
    expect(mode(dir)).toBe(0o700)
  })

  it.skipIf(!POSIX)('secure: tightens an existing folderName directory it owns to 0700', () => {
    const base = join(root, 'base')
    mkdirSync(join(base, 'f'), { recursive: true, mode: 0o755 })
    chmodSync(join(base, 'f'), 0o755)
    resolveCacheDir({ cacheDir: base, folderName: 'f', secure: true })
    expect(mode(join(base, 'f'))).toBe(0o700)
  })

  it.skipIf(!POSIX)('never chmods an existing base directory the user named', () => {
    const base = join(root, 'shared')
    mkdirSync(base, { mode: 0o755 })
    chmodSync(base, 0o755)
    resolveCacheDir({ cacheDir: base, folderName: 'f', secure: true })
    expect(mode(base)).toBe(0o755)
    expect(mode(join(base, 'f'))).toBe(0o700)
  })

  it.skipIf(!POSIX)('secure: false leaves the umask in charge', () => {
    const dir = resolveCacheDir({ cacheDir: join(root, 'open'), folderName: 'f', secure: false })
    const umask = process.umask()
    expect(mode(dir)).toBe(0o777 & ~umask)
    expect(mode(dir) & 0o077).not.toBe(0)
  })

  it.each(['../x', '/abs', 'a/b', '..', '', 'a\\b', 'x..y', '.'])('rejects folderName %j with a PathError that says why', (name) => {
    let error: unknown
    try {
      resolveCacheDir({ cacheDir: root, folderName: name, secure: true })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(PathError)
    expect((error as PathError).code).toBe('E_PATH')
    expect((error as Error).message).toMatch(/may only contain|must not be '\.' or contain '\.\.'/)
    expect(readdirSync(root)).toEqual([])
  })

  it('honours TWAT_CACHE_DIR', () => {
    process.env.TWAT_CACHE_DIR = join(root, 'from-env')
    expect(resolveCacheDir({ folderName: 'x', secure: true })).toBe(join(root, 'from-env', 'x'))
    expect(existsSync(join(root, 'from-env', 'x'))).toBe(true)
  })

  it('lets cacheDir win over TWAT_CACHE_DIR', () => {
    process.env.TWAT_CACHE_DIR = join(root, 'from-env')
    expect(resolveCacheDir({ cacheDir: join(root, 'explicit'), secure: true })).toBe(join(root, 'explicit'))
    expect(existsSync(join(root, 'from-env'))).toBe(false)
  })

  it('falls back to the platform cache dir', () => {
    process.env.XDG_CACHE_HOME = join(root, 'xdg')
    expect(resolveCacheDir({ folderName: 'y', secure: true })).toBe(join(platformCacheDir(), 'y'))
  })

  it.skipIf(!POSIX)('expands a leading ~/ to the home directory', () => {
    const home = process.env.HOME
    process.env.HOME = root // os.homedir() reads HOME first on POSIX
    try {
      process.env.TWAT_CACHE_DIR = '~/tilde'
      expect(resolveCacheDir({ folderName: 'z', secure: true })).toBe(join(root, 'tilde', 'z'))
    } finally {
      process.env.HOME = home
    }
  })

  it('reports a base path that is a file with a PathError naming it', () => {
    const file = join(root, 'file')
    writeFileSync(file, 'x')
    expect(() => resolveCacheDir({ cacheDir: file, secure: true })).toThrow(PathError)
    expect(() => resolveCacheDir({ cacheDir: join(file, 'sub'), secure: true })).toThrow(file)
  })
})

describe('platformCacheDir', () => {
  it.skipIf(process.platform !== 'linux')('uses an absolute XDG_CACHE_HOME and ignores a relative one', () => {
    process.env.XDG_CACHE_HOME = '/xdg/cache'
    expect(platformCacheDir()).toBe('/xdg/cache/twat-cache')
    process.env.XDG_CACHE_HOME = 'relative'
    expect(platformCacheDir()).toBe(join(homedir(), '.cache', 'twat-cache'))
    delete process.env.XDG_CACHE_HOME
    expect(platformCacheDir()).toBe(join(homedir(), '.cache', 'twat-cache'))
  })

  it.skipIf(process.platform !== 'darwin')('uses ~/Library/Caches on macOS', () => {
    expect(platformCacheDir()).toBe(join(homedir(), 'Library', 'Caches', 'twat-cache'))
  })
})

describe('writeFileAtomic and ensureFile', () => {
  it('writes strings and bytes, replacing the old content, leaving no temp files', () => {
    const file = join(root, 'data.json')
    writeFileAtomic(file, 'first', { secure: true })
    writeFileAtomic(file, new Uint8Array([104, 105]), { secure: true })
    expect(readFileSync(file, 'utf8')).toBe('hi')
    expect(readdirSync(root)).toEqual(['data.json'])
  })

  it.skipIf(!POSIX)('secure gives 0600 files (even replacing a 0644 file); secure: false follows the umask', () => {
    const file = join(root, 'f')
    writeFileSync(file, 'old', { mode: 0o644 })
    writeFileAtomic(file, 'new', { secure: true })
    expect(mode(file)).toBe(0o600)
    const open = join(root, 'g')
    writeFileAtomic(open, 'x', { secure: false, fsync: false })
    expect(mode(open)).toBe(0o666 & ~process.umask())
  })

  it('throws ResourceError naming the path when the directory is missing, and cleans up', () => {
    const file = join(root, 'missing', 'f')
    expect(() => writeFileAtomic(file, 'x', { secure: true })).toThrow(ResourceError)
    expect(() => writeFileAtomic(file, 'x', { secure: true })).toThrow(file)
    expect(readdirSync(root)).toEqual([])
  })

  it.skipIf(!POSIX)('ensureFile creates a 0600 file once and tightens an open one', () => {
    const file = join(root, 'cache.db')
    ensureFile(file, { secure: true })
    expect(mode(file)).toBe(0o600)
    chmodSync(file, 0o644)
    writeFileSync(file, 'keep')
    ensureFile(file, { secure: true })
    expect(mode(file)).toBe(0o600)
    expect(readFileSync(file, 'utf8')).toBe('keep')
  })
})
