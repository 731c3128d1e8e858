import { EngineClosedError, EngineError, log } from '@twat-cache/core'
import { Cluster, Redis } from 'ioredis'
import { DEFAULT_COMMAND_TIMEOUT, MAX_RECONNECT_DELAY, type ResolvedConnection } from './options.js'

export type RedisClient = Redis | Cluster

/**
 * One ioredis client plus the gate every operation passes: the first operation connects (and
 * waits at most `connectTimeout`); after that, while the connection is down, operations fail at
 * once with an `EngineError` instead of queueing, so `ucache` can run the function. ioredis keeps
 * reconnecting in the background (capped backoff), so caching resumes by itself; and when its
 * retry timer is overdue (a caller that never yields to the event loop starves timers), the
 * next failing operation makes the attempt itself.
 */
export interface Connection {
  readonly client: RedisClient
  /** Resolves when the client is ready; rejects with an `EngineError` saying why not. */
  ready(): Promise<void>
  /**
   * Turn any ioredis failure into an `EngineError` naming the server and what to do; after
   * `close()`, an `EngineClosedError`.
   */
  fail(command: string, error: unknown): EngineError
  /** QUIT (bounded), then disconnect: no socket or timer is left behind. */
  close(): Promise<void>
  readonly closed: boolean
  /** Ready, open and not still connecting (the database check): a command may be sent at once. */
  readonly usable: boolean
}

export function openConnection(resolved: ResolvedConnection): Connection {
  const { target, connectTimeout, commandTimeout } = resolved
  const client: RedisClient =
    resolved.kind === 'cluster'
      ? new Cluster(resolved.clusterNodes!.map((n) => ({ ...n })), resolved.clusterOptions)
      : new Redis(resolved.redisOptions)
  let lastError: Error | undefined
  let connecting: Promise<void> | undefined
  let closed = false
  let closing: Promise<void> | undefined

  // An EventEmitter 'error' without a listener crashes the process; ioredis emits one per
  // failed (re)connection attempt. The operations report failures, so this only records.
  client.on('error', (error: Error) => {
    if (lastError?.message !== error.message) log('debug', 'redis', `${target}: ${error.message}`)
    lastError = error
  })
  client.on('ready', () => {
    lastError = undefined
  })
  // When ioredis' next reconnection attempt is due (it says how long it waits). Its timer only
  // fires if the event loop turns: a caller looping over calls that fail at once (microtasks
  // only) would never see Redis again. So a call that finds the timer overdue connects itself,
  // and awaiting that socket lets the loop turn.
  let retryDueAt = Number.POSITIVE_INFINITY
  client.on('reconnecting', (delay?: number) => {
    retryDueAt = Date.now() + (typeof delay === 'number' ? delay : MAX_RECONNECT_DELAY)
  })
  client.on('connecting', () => {
    retryDueAt = Number.POSITIVE_INFINITY
  })
  /** Grace past the due time before a call steps in: a timer on a busy loop is a little late. */
  const OVERDUE_MS = 250
  const reconnectNow = (): Promise<void> => {
    // Cancel ioredis' own pending attempt, or it would start a second one later (and one after
    // close() would reopen the socket). A private field: if ioredis renames it, the worst case is
    // one redundant attempt that ioredis rejects as "already connecting".
    const pending = client as unknown as { reconnectTimeout?: NodeJS.Timeout | null }
    if (pending.reconnectTimeout) {
      clearTimeout(pending.reconnectTimeout)
      pending.reconnectTimeout = null
    }
    return (connecting = connect())
  }

  const fail = (command: string, error: unknown): EngineError => {
    if (closed) return new EngineClosedError('redis', { cause: error })
    if (error instanceof EngineError) return error
    const why = explain(error instanceof Error ? error : new Error(String(error)), resolved)
    if (why.kind === 'down') {
      return new EngineError(
        `[twat-cache:redis] Redis at ${target} is unavailable (${explain(lastError ?? (error as Error), resolved).text}); ` +
          'reconnecting in the background, caching resumes when it is back',
        { cause: lastError ?? error },
      )
    }
    return new EngineError(`[twat-cache:redis] ${command} on ${target} failed: ${why.text}`, { cause: error })
  }

  // ioredis sends SELECT on connect but carries on in database 0 when the server refuses it (an
  // index past its `databases`): reading, writing or clearing database 0 instead would be wrong.
  const db = resolved.kind === 'cluster' ? 0 : (resolved.redisOptions.db ?? 0)
  /** Why the last connection was dropped by that check: what calls report until the next attempt. */
  let databaseError: EngineError | undefined
  const checkDatabase = (): Promise<void> =>
    client.select(db).then(
      () => undefined,
      (error: Error) => {
        client.disconnect()
        throw (databaseError = new EngineError(`[twat-cache:redis] cannot use database ${db} on ${target}: ${error.message}; use a database the server has (its 'databases' setting, 16 by default)`, { cause: error }))
      },
    )

  const connect = (): Promise<void> => {
    let timer: NodeJS.Timeout | undefined
    // ioredis' own connectTimeout covers TCP; this also bounds DNS, TLS, Sentinel and Cluster
    // discovery, and the AUTH/HELLO handshake.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })), connectTimeout + 250)
      timer.unref()
    })
    return Promise.race([client.connect(), deadline])
      .then(
        () => {
          databaseError = undefined
          return db === 0 ? undefined : Promise.race([checkDatabase(), deadline])
        },
        (error: Error) => {
          // The rejection of connect() is a generic "Connection is closed."; the 'error'
          // event before it says why (refused, WRONGPASS, ...).
          const cause = lastError ?? error
          throw new EngineError(`[twat-cache:redis] cannot connect to Redis at ${target}: ${explain(cause, resolved).text}`, { cause })
        },
      )
      .finally(() => {
        clearTimeout(timer)
        connecting = undefined
      })
  }

  return {
    client,
    get closed() {
      return closed
    },
    get usable() {
      return client.status === 'ready' && !closed && connecting === undefined && databaseError === undefined
    },
    ready() {
      if (closed) return Promise.reject(fail('connect', new Error('closed')))
      // First: ioredis is 'ready' before the database check of `connect` has answered.
      if (connecting) return connecting
      // Dropped by the database check: said again until a new connection (once this one ended).
      if (databaseError) return client.status === 'end' ? (connecting = connect()) : Promise.reject(databaseError)
      if (client.status === 'ready') return Promise.resolve()
      // 'wait': never connected (lazyConnect). 'end': ioredis gave up (a custom retryStrategy
      // returned no delay), so the next operation tries again.
      if (client.status === 'wait' || client.status === 'end') return (connecting = connect())
      if (client.status === 'reconnecting' && Date.now() > retryDueAt + OVERDUE_MS) return reconnectNow()
      return Promise.reject(fail('connect', lastError ?? new Error('Connection is closed.')))
    },
    fail,
    close() {
      if (closing) return closing
      closed = true
      closing = (async () => {
        if (client.status === 'ready') {
          let timer: NodeJS.Timeout | undefined
          const bounded = new Promise<void>((resolve) => {
            // QUIT is a courtesy: with no command timeout (Infinity) it still gets the default's.
            timer = setTimeout(resolve, Number.isFinite(commandTimeout) ? commandTimeout : DEFAULT_COMMAND_TIMEOUT)
            timer.unref()
          })
          await Promise.race([client.quit().then(() => undefined, () => undefined), bounded])
          clearTimeout(timer)
        }
        client.disconnect()
      })()
      return closing
    },
  }
}

interface Explanation {
  kind: 'down' | 'auth' | 'timeout' | 'other'
  text: string
}

/** A sentence that says what went wrong and what to do about it. */
export function explain(error: Error, resolved: ResolvedConnection): Explanation {
  const code = (error as NodeJS.ErrnoException).code
  const message = error.message || code || error.name
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password|AUTH failed/i.test(message)) {
    return {
      kind: 'auth',
      text: `authentication failed (${message.trim()}): check redis.username and redis.password (or TWAT_CACHE_REDIS_PASSWORD, or the credentials in the URL)`,
    }
  }
  if (/No such master with that name/i.test(message)) {
    return { kind: 'other', text: `the Sentinels know no master group of that name (${message}): check redis.name` }
  }
  if (/All sentinels are unreachable/i.test(message)) {
    return { kind: 'down', text: `${message}: check redis.sentinels, and that the Sentinels run` }
  }
  if (code === 'ECONNREFUSED') {
    return { kind: 'down', text: 'connection refused: start Redis there, or point redis.url (TWAT_CACHE_REDIS_URL) at a running server' }
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { kind: 'down', text: `host not found (${code}): check redis.host or redis.url (TWAT_CACHE_REDIS_HOST / TWAT_CACHE_REDIS_URL)` }
  }
  if (code === 'ENETUNREACH' || code === 'EHOSTUNREACH') {
    return { kind: 'down', text: `no route to the host (${code}): check redis.host and the network` }
  }
  if (code === 'ETIMEDOUT' || /connect ETIMEDOUT/.test(message)) {
    return {
      kind: 'down',
      text: `no connection within ${resolved.connectTimeout} ms: check the host, port and firewall, or raise redis.options.connectTimeout`,
    }
  }
  if (/Command timed out/i.test(message)) {
    return {
      kind: 'timeout',
      text: `no reply within ${resolved.commandTimeout} ms: the server is overloaded or the value is large; raise redis.options.commandTimeout`,
    }
  }
  if (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    /Connection is closed|Stream isn't writeable|enableOfflineQueue|MaxRetriesPerRequest|Reached the max retries|aborted due to connection close|None of startup nodes/i.test(
      message,
    )
  ) {
    return { kind: 'down', text: 'the connection was lost' }
  }
  return { kind: 'other', text: message }
}
