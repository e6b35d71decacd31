/**
 * The app icons, drawn at build time: a padlock on a pickaxe-orange disc. A tiny
 * PNG encoder over node:zlib keeps the build offline and the repository free of
 * binaries. `maskable` fills the whole square and keeps the drawing inside the
 * central 80 % safe zone, as Android's adaptive icons crop it.
 */
import { deflateSync } from 'node:zlib'

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes) {
  let c = 0xffffffff
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'latin1')
  data.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}

/**
 * Encodes RGBA pixels (row-major, 4 bytes each) as a PNG.
 * @param {number} size width and height in pixels
 * @param {Uint8Array} rgba size*size*4 bytes
 */
export function encodePng(size, rgba) {
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0 // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1)
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header.set([8, 6, 0, 0, 0], 8) // 8-bit RGBA, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))])
}

const BACKGROUND = [15, 23, 42] // slate-900, the app's theme colour
const DISC = [245, 158, 11] // amber-500
const LOCK = [15, 23, 42]

// Shapes in unit coordinates (0..1 across the drawing area), as coverage tests.
const inDisc = (x, y) => (x - 0.5) ** 2 + (y - 0.5) ** 2 <= 0.45 ** 2
const inBody = (x, y) => x >= 0.3 && x <= 0.7 && y >= 0.45 && y <= 0.75
const inShackle = (x, y) => {
  const d = Math.hypot(x - 0.5, y - 0.45)
  return y <= 0.47 && d >= 0.1 && d <= 0.16
}
const inKeyhole = (x, y) => Math.hypot(x - 0.5, y - 0.57) <= 0.045 || (Math.abs(x - 0.5) <= 0.018 && y >= 0.57 && y <= 0.66)

function colourAt(x, y, fullBleed) {
  if (inDisc(x, y)) {
    if ((inBody(x, y) && !inKeyhole(x, y)) || inShackle(x, y)) return [...LOCK, 255]
    return [...DISC, 255]
  }
  return fullBleed ? [...BACKGROUND, 255] : [0, 0, 0, 0]
}

/**
 * Draws the icon with 4×4 supersampling.
 * @param {number} size pixels
 * @param {boolean} maskable fill the square and shrink the drawing into the safe zone
 */
export function drawIcon(size, maskable) {
  const rgba = new Uint8Array(size * size * 4)
  const scale = maskable ? 0.8 : 1
  const offset = (1 - scale) / 2
  const S = 4
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0, 0]
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const x = ((px + (sx + 0.5) / S) / size - offset) / scale
          const y = ((py + (sy + 0.5) / S) / size - offset) / scale
          const c = colourAt(x, y, maskable)
          // Premultiply so transparent edges do not darken.
          sum[0] += c[0] * c[3]
          sum[1] += c[1] * c[3]
          sum[2] += c[2] * c[3]
          sum[3] += c[3]
        }
      }
      const i = (py * size + px) * 4
      const a = sum[3]
      rgba[i] = a ? Math.round(sum[0] / a) : 0
      rgba[i + 1] = a ? Math.round(sum[1] / a) : 0
      rgba[i + 2] = a ? Math.round(sum[2] / a) : 0
      rgba[i + 3] = Math.round(a / (S * S))
    }
  }
  return encodePng(size, rgba)
}

/** Every icon the manifest lists: file name → PNG bytes. */
export function appIcons() {
  return {
    'icons/icon-192.png': drawIcon(192, false),
    'icons/icon-512.png': drawIcon(512, false),
    'icons/maskable-512.png': drawIcon(512, true),
    'icons/apple-touch-icon.png': drawIcon(180, true),
  }
}
