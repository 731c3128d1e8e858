// Issue 11 (freshness) and issue 14 (events): what stale-while-revalidate and the cache events
// cost on the hit path, on f(id, {a, b}) with 1,000 cached argument sets.
//
// - None of the options: the earlier targets hold (sync hit ≥ 0.90× a Map + JSON.stringify
//   memo, async hit ≥ 1.0× lru-cache fetch()).
// - staleWhileRevalidate: a fresh hit ≥ 0.85× the Map; a stale hit ≤ 2× a fresh hit's cost. The
//   stale contender's refreshes never finish (`revalidate` returns a promise that stays
//   pending), so every call is a stale hit with its key's refresh in flight: the steady state
//   of a slow source, and exactly what a stale hit costs the caller.
// - One cache-event listener: ≥ 0.8× the hit with none.
// - Beside bentocache (grace + soft timeout 0) and cachified (staleWhileRevalidate), async, on
//   the same workload: a 1 ms ttl, so nearly every call finds its entry stale and starts (or
//   joins) a background refresh.
import { acache, mcache, onCacheEvent } from '@twat-cache/core'
import { cachified } from '@epic-web/cachified'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { pairedRatio, printRace, race, sleep } from './harness.js'
import { SETS, checkSameResults, contender, f, fAsync, lruFetch, mapMemo, ratioTarget, sets } from './hot-path.js'

async function syncHits() {
  const plain = mcache({ maxsize: SETS * 2 })(f)
  const fresh = mcache({ maxsize: SETS * 2, ttl: '1h', staleWhileRevalidate: '1h' })(f)
  const stale = mcache({ maxsize: SETS * 2, ttl: 1, staleWhileRevalidate: '1h', revalidate: () => new Promise(() => {}) })(f)
  const listened = mcache({ maxsize: SETS * 2 })(f)
  const contenders = [
    contender('Map + JSON.stringify', mapMemo(f), false),
    contender('mcache', plain, false),
    contender('mcache, one event listener', listened, false),
    contender('mcache swr, fresh hit', fresh, false),
    contender('mcache swr, stale hit', stale, false),
  ]
  await checkSameResults(contenders, false)
  await sleep(5) // the stale contender's entries are now past their 1 ms ttl
  for (const [id, o] of sets) stale(id, o) // each key's (never-ending) refresh starts here
  await sleep(0)

  // The listener is subscribed only while its contender runs, so the others pay nothing for it.
  let seen = 0
  const listenedContender = contenders[2]
  const run = listenedContender.run
  listenedContender.run = (n, start) => {
    const stop = onCacheEvent(() => seen++)
    try {
      return run(n, start)
    } finally {
      stop()
    }
  }
  const results = await race(contenders)
  const [map, mc, withListener, swrFresh, swrStale] = results
  printRace(`sync hit, ${SETS} cached argument sets of f(id, {a, b})`, results, {
    baseline: 'Map + JSON.stringify',
    compare: ['mcache', 'mcache swr, fresh hit'],
    targets: {
      mcache: ratioTarget('sync hit: mcache, none of the options', pairedRatio(mc, map), 0.9, 'Map'),
      'mcache, one event listener': ratioTarget('sync hit: mcache with one event listener', pairedRatio(withListener, mc), 0.8, 'mcache without'),
      'mcache swr, fresh hit': ratioTarget('sync hit: mcache staleWhileRevalidate, fresh', pairedRatio(swrFresh, map), 0.85, 'Map'),
      // Cost is 1/throughput: a stale hit costing ≤ 2× a fresh hit is ≥ 0.5× its throughput.
      'mcache swr, stale hit': ratioTarget('sync hit: mcache staleWhileRevalidate, stale (cost ≤ 2× fresh)', pairedRatio(swrStale, swrFresh), 0.5, 'fresh hit'),
    },
  })
  if (seen === 0) throw new Error('the listener saw no event: the events path was not measured')
  const info = stale.cacheInfo()
  if (info.refreshes !== SETS || info.stale < SETS) throw new Error(`stale contender: ${info.refreshes} refreshes, ${info.stale} stale hits; expected ${SETS} refreshes`)
}

async function asyncHits() {
  const contenders = [
    contender('lru-cache fetch()', lruFetch(fAsync), true),
    contender('mcache (async fn)', mcache({ maxsize: SETS * 2 })(fAsync), true),
    contender('mcache swr (async fn), fresh hit', mcache({ maxsize: SETS * 2, ttl: '1h', staleWhileRevalidate: '1h' })(fAsync), true),
  ]
  await checkSameResults(contenders, true)
  const results = await race(contenders)
  printRace(`async hit, ${SETS} cached argument sets, one caller awaiting each call`, results, {
    baseline: 'lru-cache fetch()',
    targets: { 'mcache (async fn)': ratioTarget('async hit: mcache, none of the options', pairedRatio(results[1], results[0]), 1, 'lru-cache fetch()') },
  })
}

async function stalePeers() {
  const bento = new BentoCache({ default: 'memory', stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: SETS * 2 })) } })
  const cachifiedStore = new Map()
  const contenders = [
    contender('acache (ttl 1 ms, staleWhileRevalidate)', acache({ maxsize: SETS * 2, ttl: 1, staleWhileRevalidate: '1h' })(fAsync), true),
    contender(
      'bentocache getOrSet (ttl 1 ms, grace, timeout 0)',
      (...args) => bento.getOrSet({ key: JSON.stringify(args), factory: () => fAsync(...args), ttl: 1, grace: '1h', timeout: 0 }),
      true,
    ),
    contender(
      'cachified (ttl 1 ms, staleWhileRevalidate)',
      (...args) => cachified({ key: JSON.stringify(args), cache: cachifiedStore, getFreshValue: () => fAsync(...args), ttl: 1, staleWhileRevalidate: Number.POSITIVE_INFINITY }),
      true,
    ),
  ]
  await checkSameResults(contenders, true)
  await sleep(5)
  const results = await race(contenders)
  printRace(`stale hit beside the peers: ${SETS} argument sets, entries stale after 1 ms and refreshed in the background`, results, {
    baseline: 'acache (ttl 1 ms, staleWhileRevalidate)',
  })
  await bento.disconnectAll()
}

export async function run() {
  console.log('== freshness and events on the hit path (issues 11, 14) ==')
  await syncHits()
  await asyncHits()
  await stalePeers()
}
