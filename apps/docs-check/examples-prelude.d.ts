// Names the docs' examples use without defining them: stand-ins for the reader's own code.
// Only apps/docs-check/test/examples.ts reads this file; the root tsconfig.json never sees it.

/** The reader's database. */
declare const db: {
  users: { find(id: string | number): Promise<{ id: number; name: string; orgId: number }> }
  projects: { all(): Promise<{ id: number; name: string }[]> }
}

/** The reader's slow, synchronous page renderer. */
declare function expensiveRender(page: string): string
