/**
 * `import '@twat-cache/redis'` registers the `redis` engine (no connection, no timers until a
 * cache uses it); import `@twat-cache/redis/engine` for the factory alone.
 */
import { type EngineConfig, type EngineDefinition, registerEngine } from '@twat-cache/core'
import { ENGINE_NAME, REDIS_CAPABILITIES, createRedisEngine } from './engine.js'

/**
 * Below the local engines: a network round trip costs more than a local lookup. Redis is chosen
 * by the chains (ucache with Redis settings, acache), not by being "best".
 */
export const REDIS_PRIORITY = 20

/** What the registry knows about this engine; `create` runs only when a cache needs it. */
export const redisEngineDefinition: EngineDefinition<EngineConfig> = {
  name: ENGINE_NAME,
  capabilities: REDIS_CAPABILITIES,
  priority: REDIS_PRIORITY,
  packageName: '@twat-cache/redis',
  // The chains pick Redis only when it is configured; `engine: 'redis'` still selects it.
  usable: (config) => config.redis !== undefined,
  create: (config) => createRedisEngine(config),
}

registerEngine(redisEngineDefinition)

export * from './engine.js'
