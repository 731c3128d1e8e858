import { log, warnOnce } from '@twat-cache/core'
import { FileStore, type FileStoreSettings, SCOPE } from './file-store.js'

/**
 * The open stores of this process: one `FileStore` per file, shared by every engine opened on
 * it (refcounted), and flushed by one exit hook while any is open.
 */

/** Open stores by file path. Also what the exit hook walks. */
const stores = new Map<string, FileStore>()
let exitHookInstalled = false

function flushAllOnExit(): void {
  for (const store of stores.values()) {
    if (!store.settings.flushOnExit) continue
    try {
      store.flush()
    } catch (error) {
      // Nobody can catch an error thrown from an exit hook; say what was lost, unless the
      // failure was already reported when it began.
      if (!store.failing) log('error', SCOPE, `could not write ${store.settings.path} at exit: ${(error as Error).message}`)
    }
  }
}

/** Open (or join) the store for `settings.path`. Release it with {@link releaseStore}. */
export function acquireStore(settings: FileStoreSettings): FileStore {
  const existing = stores.get(settings.path)
  if (existing) {
    const theirs = existing.settings
    if (
      theirs.maxsize !== settings.maxsize ||
      theirs.maxBytes !== settings.maxBytes ||
      theirs.policy !== settings.policy ||
      theirs.debounceMs !== settings.debounceMs
    ) {
      warnOnce(
        `flat-cache:settings:${settings.path}`,
        SCOPE,
        `${settings.path} is already open in this process with maxsize ${theirs.maxsize}, maxBytes ${theirs.maxBytes}, policy '${theirs.policy}', debounceMs ${theirs.debounceMs}; those settings apply to this engine too (use another namespace to keep them apart)`,
      )
    }
    existing.refs++
    return existing
  }
  const store = new FileStore(settings)
  store.load()
  store.refs = 1
  stores.set(settings.path, store)
  if (!exitHookInstalled) {
    // Installed with the first open store, not at import: importing the package has no effects
    // beyond registering the engine.
    process.on('exit', flushAllOnExit)
    exitHookInstalled = true
  }
  return store
}

/** Flush, and close the store when its last engine lets go. Throws if the final write failed. */
export function releaseStore(store: FileStore): void {
  store.refs--
  let failure: unknown
  try {
    store.flush()
  } catch (error) {
    failure = error
  }
  if (store.refs <= 0) {
    store.stopTimer()
    stores.delete(store.settings.path)
    if (stores.size === 0 && exitHookInstalled) {
      process.off('exit', flushAllOnExit)
      exitHookInstalled = false
    }
  }
  if (failure !== undefined) throw failure
}

/** Number of stores open in this process (tests). */
export function openStoreCount(): number {
  return stores.size
}
