import { SerializationError } from '@twat-cache/core'
import { describe, expect, it } from 'vitest'
import { decodeText, encodeText } from '../src/codec.js'

const roundTrip = (value: unknown) => decodeText(encodeText(value))

describe('the cloudflare-kv value format', () => {
  it('keeps objects whose keys look like tags or like __proto__ as ordinary data', () => {
    const tricky = JSON.parse('{"\\u0000u": 1, "__proto__": {"polluted": true}, "a": [1, null]}')
    const back = roundTrip(tricky) as Record<string, unknown>
    expect(Object.keys(back)).toEqual(['\u0000u', '__proto__', 'a'])
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(back.__proto__).toEqual({ polluted: true })
  })

  it('keeps invalid dates, DataView and ArrayBuffer, and values nested in Map keys', () => {
    const back = roundTrip({ bad: new Date(Number.NaN), view: new DataView(Uint8Array.from([7, 8]).buffer), raw: Uint8Array.from([9]).buffer, map: new Map([[new Date(3), -0]]) }) as {
      bad: Date
      view: DataView
      raw: ArrayBuffer
      map: Map<Date, number>
    }
    expect(Number.isNaN(back.bad.getTime())).toBe(true)
    expect([back.view.getUint8(0), back.view.getUint8(1)]).toEqual([7, 8])
    expect([...new Uint8Array(back.raw)]).toEqual([9])
    const [[key, value]] = [...back.map]
    expect([key.getTime(), Object.is(value, -0)]).toEqual([3, true])
  })

  it('stores class instances through toJSON, and refuses cycles, functions and symbols', () => {
    class Money {
      toJSON() {
        return { cents: 5 }
      }
    }
    expect(roundTrip({ price: new Money() })).toEqual({ price: { cents: 5 } })
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    expect(() => encodeText(cycle)).toThrow(SerializationError)
    expect(() => encodeText({ f: () => 1 })).toThrow(/function/)
    expect(() => encodeText(Symbol('s'))).toThrow(SerializationError)
  })

  it('round-trips a large byte array through base64', () => {
    const bytes = new Uint8Array(200_000).map((_, i) => (i * 31) % 256)
    expect(roundTrip(bytes)).toEqual(bytes)
  })
})
