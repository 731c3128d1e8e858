/**
 * The consumer as a Cloudflare Workers ES module. workerd keeps one isolate per worker, so the
 * module-level caches (and their hit counters) carry over from one request to the next.
 */
import { runConsumer } from './consumer.js'

export default {
  /** Every request runs the consumer once and answers with its JSON report. */
  fetch(): Response {
    return new Response(JSON.stringify(runConsumer()), {
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    })
  },
}
