import { describeEngine } from '@twat-cache/conformance'
import { describe } from 'vitest'
import { REFERENCE_CAPABILITIES, createReferenceEngine } from './fixtures/reference-engine.js'

// The suite run against an async, shared-store, serializing engine: the paths memory cannot reach.
const options = {
  name: 'reference',
  create: createReferenceEngine,
  capabilities: REFERENCE_CAPABILITIES,
  importEntry: () => import('./fixtures/reference-entry.js'),
  importEngine: () => import('./fixtures/reference-engine.js'),
  sharedStore: true,
}

describe('fake time', () => describeEngine(options))

// The real-sleep TTL path that Redis-like engines (native TTL) take.
describe('real time', () => describeEngine({ ...options, timeMode: 'real', realTtl: 100 }))
