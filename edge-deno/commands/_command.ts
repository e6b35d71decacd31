/** The shape every `edge-deno/commands/<name>.ts` exports as its default. */
export interface Command {
  name: string
  /** One line for the command list. */
  summary: string
  /** The full `--help` text. */
  help: string
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: string[]): Promise<number>
}

/** Prints "Cannot <action>: <reason>" to stderr and gives exit code 1. */
export function fail(message: string): number {
  console.error(message)
  return 1
}

/** The message of anything thrown. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
