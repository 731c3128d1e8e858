import * as zlib from 'node:zlib'
import type { CompressOptions } from '../config.js'
import { SerializationError } from '../errors.js'

export type CompressionAlgorithm = CompressOptions['algorithm']

/** Header codes: stored in every entry, so they never change meaning. */
export const COMPRESSION_CODES = { none: 0, gzip: 1, brotli: 2, deflate: 3 } as const
const NAMES = ['none', 'gzip', 'brotli', 'deflate'] as const

/**
 * Brotli's own default (quality 11) is an archiver's setting: ~50x slower than quality 4 for a
 * few percent of size. A cache writes on the hot path, so we default to 4 and let users raise it.
 */
const BROTLI_DEFAULT_QUALITY = 4

export function compress(data: Uint8Array, options: CompressOptions): Uint8Array {
  switch (options.algorithm) {
    case 'gzip':
      return zlib.gzipSync(data, options.level === undefined ? {} : { level: Math.min(options.level, 9) })
    case 'deflate':
      return zlib.deflateSync(data, options.level === undefined ? {} : { level: Math.min(options.level, 9) })
    case 'brotli':
      return zlib.brotliCompressSync(data, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: options.level ?? BROTLI_DEFAULT_QUALITY,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.byteLength,
        },
      })
  }
}

export function decompress(data: Uint8Array, code: number): Uint8Array {
  try {
    switch (code) {
      case COMPRESSION_CODES.gzip:
        return zlib.gunzipSync(data)
      case COMPRESSION_CODES.deflate:
        return zlib.inflateSync(data)
      case COMPRESSION_CODES.brotli:
        return zlib.brotliDecompressSync(data)
    }
  } catch (cause) {
    throw new SerializationError(`cannot decode cache entry: its ${NAMES[code]} data is corrupt`, { cause })
  }
  throw new SerializationError(`cannot decode cache entry: unknown compression code ${code}`)
}

export function compressionName(code: number): (typeof NAMES)[number] | undefined {
  return NAMES[code]
}
