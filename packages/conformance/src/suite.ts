import { describe } from 'vitest'
import { basicCases } from './cases/basic.js'
import { closedCases } from './cases/closed.js'
import { evictionCases } from './cases/eviction.js'
import { lifecycleCases } from './cases/lifecycle.js'
import { maxBytesCases } from './cases/max-bytes.js'
import { sharedMethodCases } from './cases/shared.js'
import { sharingCases } from './cases/sharing.js'
import { tagCases } from './cases/tags.js'
import { ttlCases } from './cases/ttl.js'
import { valueCases } from './cases/values.js'
import { Harness } from './harness.js'
import type { DescribeEngineOptions } from './types.js'

export function defineSuite(options: DescribeEngineOptions): void {
  if (typeof options?.name !== 'string' || typeof options.create !== 'function') {
    throw new TypeError('describeEngine needs { name, create(config) }')
  }
  describe(options.name, () => {
    const h = new Harness(options)
    describe('basics', () => basicCases(h))
    describe('values', () => valueCases(h))
    describe('namespaces and sharing', () => sharingCases(h))
    describe('ttl', () => ttlCases(h))
    describe('eviction', () => evictionCases(h))
    describe('maxBytes', () => maxBytesCases(h))
    describe('tiers and locks', () => sharedMethodCases(h))
    describe('tags', () => tagCases(h))
    describe('lifecycle', () => lifecycleCases(h))
    describe('after close', () => closedCases(h))
  })
}
