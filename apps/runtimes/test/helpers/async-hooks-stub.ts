/** `node:async_hooks` where there is none: the conformance harness's handle tracker becomes a no-op (its case is skipped there). */
export function createHook(): { enable(): { disable(): void }; disable(): void } {
  const hook = { enable: () => hook, disable: () => {} }
  return hook
}
