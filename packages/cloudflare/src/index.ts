/**
 * `import '@twat-cache/cloudflare'` registers the `cloudflare-kv` engine (no I/O: the binding is
 * only used when a cache passes it); import `@twat-cache/cloudflare/engine` for the factory alone.
 */
import { type EngineConfig, type EngineDefinition, registerEngine } from '@twat-cache/core'
import { CLOUDFLARE_KV_CAPABILITIES, ENGINE_NAME, createCloudflareKvEngine } from './engine.js'
import { isKvBinding } from './options.js'

/** Below the local engines: every KV operation is a network call. */
export const CLOUDFLARE_KV_PRIORITY = 10

/** What the registry knows about this engine; the chains use it only when a KV binding is given. */
export const cloudflareKvEngineDefinition: EngineDefinition<EngineConfig> = {
  name: ENGINE_NAME,
  capabilities: CLOUDFLARE_KV_CAPABILITIES,
  priority: CLOUDFLARE_KV_PRIORITY,
  packageName: '@twat-cache/cloudflare',
  usable: (config) => isKvBinding(config.engineOptions?.kv),
  create: (config) => createCloudflareKvEngine(config),
}

registerEngine(cloudflareKvEngineDefinition)

export * from './engine.js'
