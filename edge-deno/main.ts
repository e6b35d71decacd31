/**
 * The edge collector's command line: `deno run -A edge-deno/main.ts <command> …`.
 * Each subcommand lives in `commands/<name>.ts`.
 */
import { COMMANDS } from './commands/mod.ts'

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')
  return `Usage: edge-deno <command> [options]\n\nCommands:\n${list}\n\nRun 'edge-deno <command> --help' for a command's options.`
}

/** Runs the CLI with `args`; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage())
    return name === undefined ? 1 : 0
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (!command) {
    console.error(`Cannot run '${name}': unknown command\n\n${usage()}`)
    return 1
  }
  return await command.run(rest)
}

if (import.meta.main) Deno.exit(await main(Deno.args))
