import type { CacheConfig, EngineConfig, LockConfig, TierConfig } from '../config.js'
import { listEngines } from '../registry.js'
import type { Engine, EngineDefinition } from '../types.js'
import { lockProblem, lockStep } from '../wrap/lock.js'
import type { Step } from '../wrap/pipeline.js'
import { type TierOptions, createTieredEngine, tierProblem } from './tiered-engine.js'

/** What `l1` and `lock` add to a wrapper (its `MemoizeSetup.tiers`). */
export interface Tiers {
  /** Why `config`'s `l1`/`lock` cannot be served by `definition` (`syncFn`: the function's name if it is sync). */
  problems(config: CacheConfig, definition: EngineDefinition<EngineConfig>, syncFn: string | undefined): string[]
  tiered(engine: Engine, tier: TierConfig, options: TierOptions): Engine
  lock(lock: LockConfig): Step
}

/** Names of the registered engines that `fits`, for error messages. */
const fitting = (fits: (definition: EngineDefinition<EngineConfig>) => boolean): string[] => listEngines().filter(fits).map((d) => d.name)

export const TIERS: Tiers = {
  problems(config, definition, syncFn) {
    const found = [
      config.l1 && tierProblem(definition, fitting((d) => tierProblem(d, []) === undefined)),
      config.lock && lockProblem(definition, fitting((d) => d.capabilities.lease === true)),
      config.lock && syncFn !== undefined && `lock: '${syncFn}' is a sync function, and waiting for another process cannot block: make it async, or drop lock`,
    ]
    return found.filter((p): p is string => typeof p === 'string')
  },
  tiered: (engine, tier, options) => createTieredEngine(engine, tier, options),
  lock: (lock) => lockStep(lock),
}
