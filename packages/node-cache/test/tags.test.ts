import { it } from 'vitest'
import { expectTagsWork } from '../../core/test/fixtures/tag-checks.js'
import '../src/index.js'

it('tags: invalidateTags recomputes exactly the tagged entries; expireTags serves them stale once, then refreshed', () => expectTagsWork('node-cache'))
