/** Every subcommand, in the order `--help` lists them. A new command is one file here. */
import check from './check.ts'
import enroll from './enroll.ts'
import run from './run.ts'
import scan from './scan.ts'
import type { Command } from './_command.ts'

export const COMMANDS: readonly Command[] = [check, scan, run, enroll]
