import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * The suite must catch bugs, not just pass good engines. `fixtures/broken.fixture.ts` runs it
 * against engines with one deliberate bug each, in a child vitest (a failing suite cannot be
 * asserted from inside the same run); here we check each bug made the right cases fail.
 */
const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../../..')
const vitestBin = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs')

const EXPECTED_FAILURES: Record<string, string[]> = {
  'falsy-miss': ['undefined', 'null', '0', '-0', "''", 'false', 'NaN'].map((v) => `a cached ${v} is a hit`),
  'sync-promise': ['returns values directly if sync, promises if async'],
  'drops-marker': ['an entry envelope (freshness, tags) round-trips with a per-call ttl'],
  'caps-drift': ['declares well-formed capabilities, equal to the expected ones'],
  'no-ttl': [
    'an entry expires after the configured ttl, and is gone from has() and keys()',
    'an entry set with a per-call ttl expires',
    'a shorter per-call ttl overrides the configured ttl',
    'a longer per-call ttl overrides the configured ttl',
    'entries without a ttl do not expire',
  ],
  'bad-ttl-dropped': ['NaN', "'5m'"].map((t) => `a per-call ttl of ${t} fails with ConfigurationError naming it, and stores nothing`),
  'zero-ttl-kept': [0, -1].map((t) => `a per-call ttl of ${t} stores nothing and drops the older entry, without error`),
  'infinity-ttl-default': ['a per-call ttl of Infinity never expires, over a configured ttl'],
  'expired-visible': ['an entry expires after the configured ttl, and is gone from has() and keys()'],
  'fifo-as-lru': ['lru evicts the least recently read entry'],
  'lfu-as-lru': ['lfu evicts the least frequently read entry'],
  unbounded: [
    'lru evicts the least recently read entry',
    'fifo evicts the first inserted entry, whatever was read',
    'lfu evicts the least frequently read entry',
    'rr keeps at most maxsize entries, including the newest',
    'maxsize bounds the entry count under the first declared policy',
  ],
  'delete-always-true': ['delete returns true for a present key, then false'],
  'leaky-timer': ['close', 'asyncDispose', 'dispose'].map((how) => `${how}() leaves no handles behind`),
  'leaky-handle': ['close', 'asyncDispose', 'dispose'].map((how) => `${how}() leaves no handles behind`),
  'close-twice-throws': ['close() twice does not throw'],
  'same-object': ['structured engines return the stored object itself; others return a copy'],
  json: [
    'a cached undefined is a hit',
    'a cached -0 is a hit',
    'a cached NaN is a hit',
    ...['BigInt', 'Date', 'Map', 'Set', 'RegExp'].map((t) => `${t} round-trips`),
    'typed arrays round-trip with their type and bytes',
  ],
  'global-clear': ['clear() only clears its own namespace'],
  'no-namespace': ['clear() only clears its own namespace', 'namespaces do not see each other'],
  'cross-key': ['interleaved sets and gets on one engine never return a value of another key'],
  'imports-swapped': ['importing the package entry registers the engine', 'importing the /engine subpath does not register the engine'],
  'closed-still-open': [
    ...['get', 'set', 'set with ttl', 'delete', 'clear', 'has', 'size', 'keys'].map((op) => `after close(), ${op} fails with EngineClosedError`),
    'close() again is a no-op, and the engine stays closed',
  ],
  'closed-plain-error': ['get', 'set', 'set with ttl', 'delete', 'clear'].map((op) => `after close(), ${op} fails with EngineClosedError`),
  'closed-wrong-name': ['after close(), the error names the engine'],
  'closed-sync-rejects': ['after close(), get fails with EngineClosedError', 'close() again is a no-op, and the engine stays closed'],
  'bytes-ignored': ['maxBytes bounds the stored size by evicting', 'maxBytes: an entry larger than the bound is never stored'],
  'oversize-kept': ['maxBytes: an entry larger than the bound is never stored'],
  'lease-always-granted': ['lease: one holder at a time; released only with its token; taken again once expired'],
  'expiry-unknown': ['coherence: declared methods exist, and readEntry returns the value with its expiry'],
  'watch-deaf': ["coherence 'push': a write by another engine instance is reported with its key"],
  'tags-missing': ['tag methods: present when declared, sync or async as the engine'],
  'tags-phantom': ['readTags of tags never marked reads zeros'],
  'tags-last-wins': ['readTags returns the latest invalidation and expiry among the tags; an older mark never lowers them'],
  'tags-per-namespace': ['tag state is store-wide: other namespaces (and other instances on the store) see the marks'],
  'tags-truncated': ['tags are compared whole, whatever characters they hold'],
  'tags-closed-open': ['after close(), tag methods fail with EngineClosedError'],
  'tags-forgetful': ['a record is kept at least as long as keepTags asked'],
}

interface Report {
  testResults: { assertionResults: { ancestorTitles: string[]; title: string; status: string }[] }[]
}

describe('the conformance suite catches broken engines', () => {
  const failed = new Map<string, Set<string>>()
  const ran = new Set<string>()
  let dir = ''

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'twat-conformance-'))
    const out = join(dir, 'report.json')
    // The child must not think it is a worker of this run.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')))
    const child = spawnSync(
      process.execPath,
      [vitestBin, 'run', '--config', 'packages/conformance/test/fixtures/vitest.fixture.config.ts', '--reporter=json', `--outputFile=${out}`],
      { cwd: root, env, encoding: 'utf8', timeout: 240_000 },
    )
    let report: Report
    try {
      report = JSON.parse(readFileSync(out, 'utf8')) as Report
    } catch (error) {
      throw new Error(`the fixture run wrote no report (exit ${child.status}):\n${child.stderr}\n${child.stdout}`, { cause: error })
    }
    for (const file of report.testResults) {
      for (const test of file.assertionResults) {
        const mutant = test.ancestorTitles[0]!
        ran.add(mutant)
        if (test.status === 'failed') {
          if (!failed.has(mutant)) failed.set(mutant, new Set())
          failed.get(mutant)!.add(test.title)
        }
      }
    }
  }, 300_000)

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('the unbroken control engine passes every case', () => {
    expect(ran.has('control')).toBe(true)
    expect([...(failed.get('control') ?? [])]).toEqual([])
  })

  it.each(Object.entries(EXPECTED_FAILURES))('%s is caught', (mutant, expected) => {
    expect(ran.has(mutant)).toBe(true)
    const got = failed.get(mutant) ?? new Set()
    for (const title of expected) expect(got.has(title), `'${title}' should fail for ${mutant}`).toBe(true)
  })
})
