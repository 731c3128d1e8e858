import { acache, mcache, ucache } from '../src/index.js'
import { describeFreshnessTable } from './freshness-table.js'

// The memory engine, sync and async functions, on a fake clock.
describeFreshnessTable({ engine: 'memory', wrapper: mcache, options: () => ({ engine: 'memory' }), unit: 1_000, clock: 'fake', sync: true })
describeFreshnessTable({ engine: 'memory', wrapper: acache, options: () => ({ engine: 'memory' }), unit: 1_000, clock: 'fake', sync: false })
// ucache: the same table through its degradation step (engine failures bypass the engine).
describeFreshnessTable({ engine: 'memory', wrapper: ucache, options: () => ({ engine: 'memory' }), unit: 1_000, clock: 'fake', sync: true, degrades: true })
