import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import { CliError, EXIT_USAGE } from './errors.js'
import { type Io, type Output, formatBytes, preview } from './output.js'
import { type EntryRow, type NamespaceRow, type Store, cacheDir, findStores, redisStore } from './stores.js'

/** Options every command takes. */
export interface CommonOptions {
  dir?: string | undefined
  redisUrl?: string | undefined
  json?: boolean | undefined
}

export interface Context {
  readonly io: Io
  readonly out: Output
  readonly dir: string
  readonly stores: Store[]
}

/** Find the stores the options point at. A folder with files but no cache in it is refused. */
export function openContext(options: CommonOptions, io: Io, out: Output): Context {
  const { dir, explicit } = cacheDir(options.dir)
  let stores: Store[] = []
  if (explicit || existsSync(dir)) {
    const found = findStores(dir, (seen) => out.progress(`scanning ${dir}: ${seen} files`))
    out.progress(undefined)
    if (found.stores.length === 0 && found.foreign.length > 0) {
      throw new CliError(
        `${dir} is not a twat-cache cache directory: none of its ${found.foreign.length} files is a twat-cache store ` +
          `(a SQLite database marked with twat-cache's application_id, or a flat-cache <namespace>-<hash>.json file); ` +
          'pass --dir with the cache directory (twat-cache ls shows what it finds)',
      )
    }
    stores = found.stores
  }
  if (options.redisUrl !== undefined) {
    stores.push(redisStore(options.redisUrl, (seen) => out.progress(`scanning ${options.redisUrl}: ${seen} keys`)))
  }
  return { io, out, dir, stores }
}

async function allRows(ctx: Context): Promise<NamespaceRow[]> {
  const rows: NamespaceRow[] = []
  for (const [i, store] of ctx.stores.entries()) {
    ctx.out.progress(`reading ${store.location} (${i + 1}/${ctx.stores.length})`)
    rows.push(...(await store.namespaces()))
  }
  ctx.out.progress(undefined)
  return rows
}

const when = (iso: string | null) => (iso === null ? '-' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))

export async function ls(ctx: Context): Promise<void> {
  const rows = await allRows(ctx)
  const { out } = ctx
  if (out.json) return out.data(rows)
  if (rows.length === 0) return out.line(`no caches under ${ctx.dir}`)
  out.table(
    ['engine', 'namespace', 'entries', 'size', 'oldest', 'newest', 'expired', 'location'],
    rows.map((r) => [r.engine, r.namespace, r.entries, formatBytes(r.bytes), when(r.oldest), when(r.newest), r.expired ? out.color.yellow(String(r.expired)) : 0, r.location]),
    ['left', 'left', 'right', 'right', 'left', 'left', 'right', 'left'],
  )
}

interface Totals {
  stores: number
  namespaces: number
  entries: number
  bytes: number
  expired: number
}

export async function stats(ctx: Context): Promise<void> {
  const rows = await allRows(ctx)
  const empty = (): Totals => ({ stores: 0, namespaces: 0, entries: 0, bytes: 0, expired: 0 })
  const total = empty()
  const engines: Record<string, Totals> = {}
  const counted = new Set<string>()
  for (const store of ctx.stores) {
    total.stores++
    ;(engines[store.engine] ??= empty()).stores++
    counted.add(store.location)
  }
  for (const r of rows) {
    for (const t of [total, (engines[r.engine] ??= empty())]) {
      t.namespaces++
      t.entries += r.entries
      t.bytes += r.bytes
      t.expired += r.expired
    }
  }
  const { out } = ctx
  if (out.json) return out.data({ dir: ctx.dir, ...total, engines })
  out.line(`${out.color.bold('cache directory')} ${ctx.dir}`)
  out.table(
    ['engine', 'stores', 'namespaces', 'entries', 'size', 'expired'],
    [...Object.entries(engines), ['total', total] as const].map(([name, t]) => [name, t.stores, t.namespaces, t.entries, formatBytes(t.bytes), t.expired]),
    ['left', 'right', 'right', 'right', 'right', 'right'],
  )
}

/** The stores holding `namespace`, with the name each knows it by. */
async function locate(ctx: Context, namespace: string): Promise<{ store: Store; namespace: string }[]> {
  const found: { store: Store; namespace: string }[] = []
  for (const store of ctx.stores) {
    for (const name of await store.find(namespace)) found.push({ store, namespace: name })
  }
  return found
}

function notFound(ctx: Context, namespaces: string[]): CliError {
  const where = [ctx.dir, ...ctx.stores.filter((s) => s.engine === 'redis').map((s) => s.location)].join(' or ')
  return new CliError(`no namespace ${namespaces.map((n) => `'${n}'`).join(', ')} under ${where}; 'twat-cache ls' lists them`)
}

export interface InspectOptions {
  limit: number
  full?: boolean | undefined
}

export async function inspectCommand(ctx: Context, namespace: string, key: string | undefined, options: InspectOptions): Promise<void> {
  const matches = await locate(ctx, namespace)
  if (matches.length === 0) throw notFound(ctx, [namespace])
  const { out } = ctx
  const max = options.full ? Number.POSITIVE_INFINITY : key === undefined ? 60 : 2000
  const shown = async ({ store, namespace: name }: (typeof matches)[number]) => {
    const entries = key === undefined ? await store.entries(name, options.limit) : [await store.entry(name, key)].filter((e): e is EntryRow => e !== undefined)
    return { engine: store.engine, location: store.location, namespace: name, entries }
  }
  const results = []
  for (const match of matches) results.push(await shown(match))
  if (key !== undefined && results.every((r) => r.entries.length === 0)) {
    throw new CliError(`namespace '${namespace}' has no entry with key ${JSON.stringify(key)}; 'twat-cache inspect ${namespace}' lists its keys`)
  }
  if (out.json) {
    return out.data({
      namespace,
      ...(key !== undefined && { key }),
      matches: results.map((r) => ({ ...r, entries: r.entries.map((e) => ({ ...e, preview: 'value' in e ? preview(e.value, max, true) : null })) })),
    })
  }
  for (const r of results) {
    out.line(`${out.color.bold(r.engine)} ${r.namespace} ${out.color.dim(r.location)}`)
    if (key !== undefined) {
      const e = r.entries[0]
      if (!e) continue
      out.line(`key      ${e.key}\nbytes    ${e.bytes}\nexpires  ${expiry(e)}\nformat   ${JSON.stringify(e.format)}`)
      out.line('value' in e ? preview(e.value, max, true) : out.color.yellow('(cannot be decoded here: written with a custom serializer, or damaged)'))
      continue
    }
    out.table(
      ['key', 'bytes', 'expires', 'value'],
      r.entries.map((e) => [e.key.length > 40 ? `${e.key.slice(0, 39)}…` : e.key, e.bytes, expiry(e), 'value' in e ? preview(e.value, max, false) : '?']),
      ['left', 'right', 'left', 'left'],
    )
  }
}

function expiry(e: EntryRow): string {
  if (e.expiresAt === null) return 'never'
  const text = new Date(e.expiresAt).toISOString()
  return e.expired ? `${text} (expired)` : text
}

export interface ClearOptions {
  all?: boolean | undefined
  yes?: boolean | undefined
}

/**
 * Bad usage of `clear`, found before any store is opened. Without `--yes` the question needs
 * someone at a terminal to answer it; off one (a script, a pipe, CI) it is refused rather than
 * run unconfirmed.
 */
export function checkClearUsage(namespaces: string[], options: ClearOptions, io: Pick<Io, 'stdin'>): void {
  if (options.all && namespaces.length > 0) throw new CliError('give namespaces or --all, not both', EXIT_USAGE)
  if (!options.all && namespaces.length === 0) throw new CliError("name the namespaces to clear, or pass --all ('twat-cache ls' lists them)", EXIT_USAGE)
  if (!options.yes && io.stdin.isTTY !== true) {
    throw new CliError('clear asks for confirmation, but stdin is not a terminal: pass --yes to clear without asking', EXIT_USAGE)
  }
}

export async function clear(ctx: Context, namespaces: string[], options: ClearOptions): Promise<void> {
  checkClearUsage(namespaces, options, ctx.io)
  const rows = await allRows(ctx)
  let targets: NamespaceRow[]
  if (options.all) {
    targets = rows
  } else {
    targets = []
    const missing: string[] = []
    for (const wanted of namespaces) {
      const matches = await locate(ctx, wanted)
      if (matches.length === 0) missing.push(wanted)
      for (const m of matches) targets.push(...rows.filter((r) => r.location === m.store.location && r.namespace === m.namespace))
    }
    // Nothing is cleared when any name is wrong: a typo must not half-run a destructive command.
    if (missing.length > 0) throw notFound(ctx, missing)
  }
  const { out, io } = ctx
  const entries = targets.reduce((n, r) => n + r.entries, 0)
  const bytes = targets.reduce((n, r) => n + r.bytes, 0)
  if (targets.length > 0 && !options.yes) {
    const question = `clear ${targets.length} namespace${targets.length === 1 ? '' : 's'} (${entries} entries, ${formatBytes(bytes)})? [y/N] `
    const rl = createInterface({ input: io.stdin, output: io.stderr })
    const answer = await rl.question(question)
    rl.close()
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('aborted: nothing was cleared')
  }
  for (const row of targets) {
    const store = ctx.stores.find((s) => s.location === row.location)!
    await store.clear(row.namespace)
  }
  const cleared = targets.map(({ engine, location, namespace, entries, bytes }) => ({ engine, location, namespace, entries, bytes }))
  if (out.json) return out.data({ cleared, entries, bytes })
  if (targets.length === 0) return out.line('nothing to clear')
  for (const c of cleared) out.line(`${out.color.green('cleared')} ${c.engine} ${c.namespace}: ${c.entries} entries (${c.location})`)
  out.line(`${cleared.length} namespace${cleared.length === 1 ? '' : 's'}, ${entries} entries, ${formatBytes(bytes)}`)
}

export async function prune(ctx: Context): Promise<void> {
  const before = await allRows(ctx)
  const pruned = []
  for (const row of before.filter((r) => r.expired > 0)) {
    const store = ctx.stores.find((s) => s.location === row.location)!
    await store.prune(row.namespace)
    const after = (await store.namespaces()).find((r) => r.namespace === row.namespace)
    pruned.push({
      engine: row.engine,
      location: row.location,
      namespace: row.namespace,
      entries: row.entries - (after?.entries ?? 0),
      bytes: Math.max(0, row.bytes - (after?.bytes ?? 0)),
    })
  }
  const entries = pruned.reduce((n, p) => n + p.entries, 0)
  const bytes = pruned.reduce((n, p) => n + p.bytes, 0)
  const { out } = ctx
  if (out.json) return out.data({ pruned, entries, bytes })
  if (pruned.length === 0) return out.line('no expired entries')
  for (const p of pruned) out.line(`${out.color.green('pruned')} ${p.engine} ${p.namespace}: ${p.entries} expired entries, ${formatBytes(p.bytes)}`)
  out.line(`freed ${entries} entries, ${formatBytes(bytes)}`)
}
