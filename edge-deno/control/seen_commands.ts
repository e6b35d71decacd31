/**
 * Command ids this edge has already accepted, kept on disk (`commands_seen.json` in
 * the state dir) so a server that hands the same sealed command out again — now,
 * or after a restart — achieves nothing. An id is kept a day past its command's
 * expiry: after that the seal's expiry refuses it anyway, even with some clock skew.
 */
import { writeFileAtomic } from '../state.ts'

const KEEP_AFTER_EXPIRY_MS = 24 * 3600_000

/** The on-disk set of accepted command ids. */
export class SeenCommands {
  readonly #path: string
  readonly #ids: Map<string, number>

  private constructor(path: string, ids: Map<string, number>) {
    this.#path = path
    this.#ids = ids
  }

  /**
   * Loads the set from `<stateDir>/commands_seen.json` (empty when absent).
   * @throws {Error} when the file exists but is not a saved set
   */
  static async open(stateDir: string): Promise<SeenCommands> {
    const path = `${stateDir}/commands_seen.json`
    let ids = new Map<string, number>()
    try {
      const saved = JSON.parse(await Deno.readTextFile(path))
      if (saved?.version !== 1 || typeof saved.ids !== 'object') throw new Error(`Cannot read ${path}: it is not a saved set of command ids`)
      ids = new Map(Object.entries(saved.ids as Record<string, number>))
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error
    }
    return new SeenCommands(path, ids)
  }

  has(id: string): boolean {
    return this.#ids.has(id)
  }

  /** Records `id` (before the command runs, so a crash mid-run cannot run it twice). */
  async add(id: string, expiresAt: string, now = Date.now()): Promise<void> {
    for (const [old, until] of this.#ids) if (until < now) this.#ids.delete(old)
    this.#ids.set(id, Date.parse(expiresAt) + KEEP_AFTER_EXPIRY_MS)
    await writeFileAtomic(this.#path, JSON.stringify({ version: 1, ids: Object.fromEntries(this.#ids) }))
  }
}
