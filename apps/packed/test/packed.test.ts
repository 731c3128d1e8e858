/**
 * What a user gets from the registry: every package is packed with `pnpm pack`, checked file by
 * file, installed from the tarballs into a fresh project outside the workspace, and used from
 * there by a real Node process (every engine) and by `tsc` (the published types).
 */
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, posix } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { type RedisServer, redisSkipReason, startRedis } from '../../../packages/redis/test/redis-server.js'
import { BUILD_TIMEOUT_MS, PACKAGES_DIR, type Packed, ROOT, cleanEnv, ensureBuilt, kb, packAll, packageDirs } from './tarball.js'

const run = promisify(execFile)
const FIXTURES = join(ROOT, 'apps/packed/fixtures')
/** With the pnpm store's side-effects cache the install takes ~2 s; compiling better-sqlite3 took 92 s here. */
const INSTALL_TIMEOUT_MS = 240_000
const CONSUMER_TIMEOUT_MS = 30_000
const TSC_TIMEOUT_MS = 120_000

const dirs = packageDirs()
// Throws when CI is set and redis-server is missing: there the Redis engine must be exercised.
const redisSkip = redisSkipReason()
if (redisSkip) console.warn(`packed install: the Redis engine is not exercised: ${redisSkip}`)
const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }

// Everything lives in one temp dir (made in beforeAll), removed in afterAll whatever happened.
let work = ''
let tarballs = ''
let project = ''
let packed: Packed[] = []
let redis: RedisServer | undefined

const byDir = (dir: string) => {
  const found = packed.find((p) => p.dir === dir)
  if (!found) throw new Error(`packages/${dir} was not packed`)
  return found
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'twat-packed-'))
  tarballs = join(work, 'tarballs')
  project = join(work, 'project')
  ensureBuilt(dirs)
  mkdirSync(tarballs)
  const start = performance.now()
  packed = await packAll(dirs, tarballs)
  const rows = packed.map((p) => `  ${p.name.padEnd(26)} ${kb(p.packedBytes).padStart(9)} packed ${kb(p.unpackedBytes).padStart(9)} unpacked ${String(p.files.length).padStart(4)} files`)
  console.log(`pnpm pack, ${packed.length} packages in ${((performance.now() - start) / 1000).toFixed(1)} s:\n${rows.join('\n')}`)
}, BUILD_TIMEOUT_MS)

afterAll(async () => {
  await redis?.stop()
  if (work) rmSync(work, { recursive: true, force: true })
})

describe.each(dirs)('tarball of packages/%s', (dir) => {
  it('ships package.json, README, LICENSE and dist (a .d.ts beside every .js), nothing else', ({ expect }) => {
    const p = byDir(dir)
    const allowed = /^(package\.json|README\.md|LICENSE(\.md|\.txt)?|dist\/.+)$/
    expect(p.files.filter((f) => !allowed.test(f)), 'files outside package.json, README, LICENSE and dist/').toEqual([])
    expect(p.files).toContain('package.json')
    expect(p.files.some((f) => /^LICEN[CS]E/.test(f)), 'no LICENSE in the tarball').toBe(true)
    if (existsSync(join(PACKAGES_DIR, dir, 'README.md'))) expect(p.files).toContain('README.md')
    expect(p.files).toContain('dist/index.js')
    expect(p.files).toContain('dist/index.d.ts')
    const js = p.files.filter((f) => f.endsWith('.js'))
    expect(js.filter((f) => !p.files.includes(f.replace(/\.js$/, '.d.ts'))), '.js without .d.ts').toEqual([])
    expect(p.files.filter((f) => /(^|\/)(src|test)\//.test(f) || f.endsWith('.tsbuildinfo') || /(?<!\.d)\.ts$/.test(f))).toEqual([])
    // tsc never deletes output: a module renamed in src/ would otherwise ship under its old name.
    const stale = js.filter((f) => !existsSync(join(PACKAGES_DIR, dir, f.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'))))
    expect(stale, 'dist files with no source (stale build output)').toEqual([])
  })

  it('has a manifest with real version ranges whose exports all ship', ({ expect }) => {
    const p = byDir(dir)
    expect(p.read('package.json')).not.toContain('workspace:')
    const core = byDir('core')
    for (const field of ['dependencies', 'peerDependencies'] as const) {
      const range = p.manifest[field]?.['@twat-cache/core']
      if (range !== undefined) expect(range, `${field}['@twat-cache/core']`).toBe(`^${core.version}`)
    }
    const targets: string[] = []
    const collect = (value: unknown): void => {
      if (typeof value === 'string') targets.push(value)
      else if (value && typeof value === 'object') Object.values(value).forEach(collect)
    }
    collect(p.manifest.exports)
    expect(targets.length).toBeGreaterThan(0)
    expect(targets.filter((t) => !p.files.includes(posix.normalize(t))), 'exports targets missing from the tarball').toEqual([])
  })
})

// One test for all packages: the maps come from the one shared tsconfig.base.json.
it('ships source maps only with their sources (shipped or inlined)', ({ expect }) => {
  expect(packed.map((p) => p.dir)).toEqual(dirs)
  const dangling: string[] = []
  for (const p of packed) {
    const missing = new Set<string>()
    for (const map of p.files.filter((f) => f.endsWith('.map'))) {
      const { sources, sourcesContent } = JSON.parse(p.read(map)) as { sources: string[]; sourcesContent?: (string | null)[] }
      sources.forEach((source, i) => {
        const target = posix.normalize(posix.join(posix.dirname(map), source))
        if (!p.files.includes(target) && typeof sourcesContent?.[i] !== 'string') missing.add(target)
      })
    }
    if (missing.size) dangling.push(`${p.name}: ${missing.size} (${[...missing].slice(0, 2).join(', ')}, ...)`)
  }
  expect(dangling, 'packages whose .map files point at sources that are not in the tarball').toEqual([])
})

describe('installed from the tarballs in a fresh project', () => {
  let firstRun: ConsumerReport
  let secondRun: ConsumerReport

  beforeAll(async () => {
    if (!redisSkip) redis = await startRedis()
    mkdirSync(project)
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'packed-consumer', private: true, type: 'module' }, null, 2)}\n`)
    // Its own workspace root, so pnpm never looks further up, with the build it must allow:
    // pnpm 10 skips unapproved install scripts, and better-sqlite3 would fail at require time.
    // Packages that depend on others of ours (the CLI on core and the engines) must get them from
    // the tarballs too, not from the registry: overrides point every name at its tarball.
    const order = ['core', ...dirs.filter((dir) => dir !== 'core' && dir !== 'conformance')]
    const overrides = order.map((dir) => `  '${byDir(dir).name}': 'file:${byDir(dir).tarball}'\n`).join('')
    writeFileSync(join(project, 'pnpm-workspace.yaml'), `allowBuilds:\n  better-sqlite3: true\nstrictDepBuilds: true\noverrides:\n${overrides}`)
    const specs = [
      ...order.map((dir) => byDir(dir).tarball),
      `typescript@${rootManifest.devDependencies.typescript}`,
      `@types/node@${rootManifest.devDependencies['@types/node']}`,
    ]
    const start = performance.now()
    await run('pnpm', ['add', '--prefer-offline', ...specs], { cwd: project, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 })
    console.log(`pnpm add of ${order.length} tarballs + typescript + @types/node: ${((performance.now() - start) / 1000).toFixed(1)} s`)
    for (const file of ['consumer.mjs', 'consumer.ts', 'tsconfig.json']) cpSync(join(FIXTURES, file), join(project, file))

    firstRun = await runConsumer()
    secondRun = await runConsumer()
  }, INSTALL_TIMEOUT_MS)

  it('links real copies from the tarballs, one core shared by every engine', ({ expect }) => {
    const installed = (name: string) => realpathSync(join(project, 'node_modules', name))
    const home = realpathSync(project)
    const core = installed('@twat-cache/core')
    expect(home.startsWith(realpathSync(ROOT)), 'the project must live outside the workspace').toBe(false)
    expect(core.startsWith(home), `@twat-cache/core resolves to ${core}`).toBe(true)
    expect(existsSync(join(core, 'src')), 'installed core has src/').toBe(false)
    for (const dir of dirs.filter((d) => d !== 'core' && d !== 'conformance')) {
      const engine = installed(`@twat-cache/${dir}`)
      expect(engine.startsWith(home), `@twat-cache/${dir} resolves to ${engine}`).toBe(true)
      // The peer dependency on core resolves to the one the app uses: one registry, one MISS.
      expect(realpathSync(join(dirname(engine), 'core')), `core as seen from @twat-cache/${dir}`).toBe(core)
    }
    const sqliteDir = realpathSync(join(installed('@twat-cache/sqlite'), '../../better-sqlite3'))
    expect(existsSync(join(sqliteDir, 'build/Release/better_sqlite3.node')), 'better-sqlite3 was not built').toBe(true)
  })

  it('registers every engine package that is imported', ({ expect }) => {
    expect(firstRun.registered).toEqual(['cacheable', 'flat-cache', 'lru', 'memory', 'node-cache', 'redis', 'sqlite'])
  })

  const engines = [
    ['lru', 'mcache'],
    ['node-cache', 'mcache'],
    ['cacheable', 'acache'],
    ['sqlite', 'bcache'],
    ['flat-cache', 'fcache'],
  ] as const
  it.for(engines)('%s through %s: miss, hit, miss, and values intact', ([engine], { expect }) => {
    expect(firstRun.results[engine]).toEqual({ values: [5, 5, 9], datesRevived: true, calls: 2, hits: 1, misses: 2, engine, engineProperty: engine })
  })

  it.skipIf(redisSkip)('redis through acache: miss, hit, miss, and values intact', ({ expect }) => {
    expect(firstRun.results.redis).toEqual({ values: [5, 5, 9], datesRevived: true, calls: 2, hits: 1, misses: 2, engine: 'redis', engineProperty: 'redis' })
  })

  it('a second process is served from the persistent stores, not from memory', ({ expect }) => {
    const persistent = ['sqlite', 'flat-cache', ...(redisSkip ? [] : ['redis'])]
    for (const engine of persistent) {
      expect(secondRun.results[engine], engine).toEqual({ values: [5, 5, 9], datesRevived: true, calls: 0, hits: 3, misses: 0, engine, engineProperty: engine })
    }
    for (const engine of ['lru', 'node-cache', 'cacheable']) expect(secondRun.results[engine]?.calls, engine).toBe(2)
  })

  it('each wrapper defaults to the first installed engine of its chain', ({ expect }) => {
    expect(firstRun.defaults).toEqual({ mcache: 'lru', acache: 'cacheable', bcache: 'sqlite', fcache: 'flat-cache' })
  })

  // One tsc run with skipLibCheck off serves both checks: its errors are split by file.
  let typecheck: Promise<TscErrors> | undefined
  const typecheckOnce = () => (typecheck ??= tsc('tsconfig.json'))

  it('consumer.ts type-checks against the published types (strict, NodeNext)', async ({ expect }) => {
    const { inConsumer, global } = await typecheckOnce()
    expect([...global, ...inConsumer]).toEqual([])
  }, TSC_TIMEOUT_MS)

  it('the published declarations type-check on their own (skipLibCheck: false)', async ({ expect }) => {
    const { inDependencies } = await typecheckOnce()
    expect(inDependencies).toEqual([])
  }, TSC_TIMEOUT_MS)
})

interface EngineResult {
  values: number[]
  datesRevived: boolean
  calls: number
  hits: number
  misses: number
  engine: string
  engineProperty: string
}
interface ConsumerReport {
  registered: string[]
  results: Record<string, EngineResult | undefined>
  defaults: Record<string, string>
}

/**
 * `node consumer.mjs` as a real child process. It must exit by itself: a timeout here means an
 * engine left a handle open after close().
 */
async function runConsumer(): Promise<ConsumerReport> {
  const env = cleanEnv({ PACKED_CACHE_DIR: join(work, 'cache'), ...(redis ? { PACKED_REDIS_URL: redis.url } : {}) })
  try {
    const { stdout } = await run(process.execPath, ['consumer.mjs'], { cwd: project, env, timeout: CONSUMER_TIMEOUT_MS, killSignal: 'SIGKILL' })
    return JSON.parse(stdout) as ConsumerReport
  } catch (error) {
    const failure = error as { killed?: boolean; code?: number; stdout?: string; stderr?: string }
    const why = failure.killed ? `did not exit within ${CONSUMER_TIMEOUT_MS / 1000} s (an open handle?)` : `exited with ${String(failure.code)}`
    throw new Error(`node consumer.mjs ${why}:\n${failure.stderr ?? ''}${failure.stdout ?? ''}`, { cause: error })
  }
}

interface TscErrors {
  /** Errors in consumer.ts (an unused `@ts-expect-error` is one). */
  inConsumer: string[]
  /** Errors in the installed .d.ts files, with the pnpm store part of their paths removed. */
  inDependencies: string[]
  /** Errors with no file (bad config), or a tsc that failed without reporting any error. */
  global: string[]
}

/** tsc from the project's own typescript, its errors sorted by where they are. */
async function tsc(config: string): Promise<TscErrors> {
  const bin = join(project, 'node_modules/typescript/bin/tsc')
  let output = ''
  let code = 0
  try {
    await run(process.execPath, [bin, '-p', config, '--pretty', 'false'], { cwd: project, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 })
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string }
    code = typeof failure.code === 'number' ? failure.code : -1
    output = `${failure.stdout ?? ''}${failure.stderr ?? ''}`
  }
  // One error per line; indented lines continue the previous one.
  const errors = output.replace(/\n\s+/g, ' ').split('\n').filter((line) => line.trim())
  const result: TscErrors = {
    inConsumer: errors.filter((e) => e.startsWith('consumer.ts(')),
    inDependencies: errors.filter((e) => e.startsWith('node_modules/')).map((e) => e.replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')),
    global: errors.filter((e) => !e.startsWith('consumer.ts(') && !e.startsWith('node_modules/')),
  }
  if (code !== 0 && errors.length === 0) result.global.push(`tsc exited with ${code} and printed nothing`)
  return result
}
