import { expect, it } from 'vitest'
import { invalidateTags } from '../src/index.js'
import { captureLogs, resetLogsAfterEach } from './wrappers-support.js'

resetLogsAfterEach()

// Its own file: no cached function may exist in this module graph before the call.
it('invalidateTags with no engine in use and no options.engine says that only the in-process registry was marked', async () => {
  const logs = captureLogs()
  await invalidateTags(['user:7'])
  expect(logs.warnings).toHaveLength(1)
  expect(logs.warnings[0]).toMatch(/only the in-process tag registry .* was marked; .* pass \{ engine \}/)
  await invalidateTags(['user:8'])
  expect(logs.warnings).toHaveLength(1) // said once
})
