import { type CollectorConfig, loadConfig } from '../config.ts'
import { fail, reasonOf } from './_command.ts'

/**
 * Loads the collector config for a command, or says why not. `--help` prints
 * `help`; either way the caller returns `exit`.
 */
export async function commandConfig(args: string[], help: string): Promise<{ config: CollectorConfig } | { exit: number }> {
  try {
    const config = await loadConfig(args)
    if (config.help) return console.log(help), { exit: 0 }
    return { config }
  } catch (error) {
    return { exit: fail(reasonOf(error)) }
  }
}
