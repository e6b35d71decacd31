/**
 * Where the encryption passphrase comes from: `HASHINSIGHT_PASSPHRASE`, a file, or
 * a prompt on a terminal that does not echo what is typed. It is never printed,
 * logged, or written anywhere by the collector.
 */

export interface PassphraseSources {
  env: (name: string) => string | undefined
  readTextFile: (path: string) => Promise<string>
  /** Asks on the terminal; undefined when there is none. */
  prompt: (message: string) => Promise<string | undefined>
  /** Receives a warning line (e.g. a passphrase file others can read). */
  warn: (line: string) => void
  /** The file's permission bits, when the platform has them. */
  mode: (path: string) => Promise<number | null>
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Reads a line from the terminal with echo off; undefined when stdin is not a terminal. */
export async function promptHidden(message: string): Promise<string | undefined> {
  if (!Deno.stdin.isTerminal()) return undefined
  await Deno.stderr.write(encoder.encode(message))
  const bytes: number[] = []
  const one = new Uint8Array(1)
  Deno.stdin.setRaw(true)
  try {
    while (true) {
      const n = await Deno.stdin.read(one)
      if (n === null || one[0] === 13 || one[0] === 10) break
      if (one[0] === 3 || one[0] === 4) throw new Error('Cannot read passphrase: cancelled')
      if (one[0] === 127 || one[0] === 8) {
        // Remove one whole UTF-8 character: continuation bytes are 10xxxxxx.
        while (bytes.length > 0 && (bytes.pop()! & 0xc0) === 0x80);
        continue
      }
      bytes.push(one[0])
    }
  } finally {
    Deno.stdin.setRaw(false)
    await Deno.stderr.write(encoder.encode('\n'))
  }
  return decoder.decode(new Uint8Array(bytes))
}

export const denoPassphraseSources: PassphraseSources = {
  env: (name) => Deno.env.get(name),
  readTextFile: (path) => Deno.readTextFile(path),
  prompt: promptHidden,
  warn: (line) => console.error(line),
  mode: async (path) => (await Deno.stat(path)).mode,
}

/**
 * The passphrase from (first found) `HASHINSIGHT_PASSPHRASE`, `file`, or a prompt;
 * undefined when there is none and no terminal to ask on.
 * @throws {Error} when the file cannot be read or the passphrase is empty
 */
export async function readPassphrase(file: string | undefined, sources: PassphraseSources = denoPassphraseSources): Promise<string | undefined> {
  const fromEnv = sources.env('HASHINSIGHT_PASSPHRASE')
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  if (file !== undefined) {
    let text: string
    try {
      text = await sources.readTextFile(file)
    } catch (error) {
      throw new Error(`Cannot read passphrase file ${file}: ${(error as Error).message}`)
    }
    const mode = await sources.mode(file).catch(() => null)
    if (mode !== null && (mode & 0o077) !== 0) sources.warn(`Warning: passphrase file ${file} can be read by other users; chmod 600 it`)
    // One trailing newline is the editor's, not the passphrase's.
    const passphrase = text.replace(/\r?\n$/, '')
    if (passphrase === '') throw new Error(`Cannot read passphrase file ${file}: it is empty`)
    return passphrase
  }
  const typed = await sources.prompt('Encryption passphrase (not shown): ')
  return typed === '' ? undefined : typed
}
