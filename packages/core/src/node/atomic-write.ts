import { Buffer } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { ResourceError } from '../errors.js'
import { reason } from './paths.js'

export interface AtomicWriteOptions {
  /** Create the file 0600. */
  secure: boolean
  /**
   * fsync the file before the rename and the directory after it, so a power loss leaves the
   * old or the new content, never an empty file. @default true
   */
  fsync?: boolean | undefined
}

/**
 * Replace `path` with `data` so that readers (and a crash) see either the old file or the new
 * one, never a half-written one: write a temp file in the same directory (same file system,
 * so `rename` is atomic), fsync it, rename it over `path`. Throws `ResourceError` naming the
 * path; the temp file is removed on failure.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions): void {
  const durable = options.fsync ?? true
  const dir = dirname(path)
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  let fd: number | undefined
  try {
    fd = openSync(temp, 'wx', options.secure ? 0o600 : 0o666)
    const bytes = typeof data === 'string' ? Buffer.from(data) : data
    let written = 0
    while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written)
    if (durable) fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    renameSync(temp, path)
  } catch (cause) {
    if (fd !== undefined) closeQuietly(fd)
    removeQuietly(temp)
    throw new ResourceError(`cannot write ${path}: ${reason(cause)}`, { cause })
  }
  if (durable) syncDir(dir)
}

function syncDir(dir: string): void {
  // Directories cannot be opened for fsync on Windows; the rename is already atomic there.
  if (process.platform === 'win32') return
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // Some file systems refuse to fsync a directory; the data itself is already synced.
  } finally {
    if (fd !== undefined) closeQuietly(fd)
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd)
  } catch {
    // Already failing with a more useful error.
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // It may never have been created.
  }
}
