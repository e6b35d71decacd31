/** Child processes for cross-runtime tests: the Deno simulators and the edge CLI. */
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../..')
export const DENO = resolve(ROOT, 'node_modules/.bin/deno')

/** A Deno server script started as a child; `ready` is what it printed after `READY `. */
export interface ReadyChild<T> {
  child: ChildProcess
  ready: T
  stop(): Promise<void>
}

/** Starts `deno run -A <script> <args>` and resolves once it prints `READY {json}`. */
async function startReady<T>(script: string, args: string[], what: string): Promise<ReadyChild<T>> {
  const child = spawn(DENO, ['run', '-A', script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const ready = await new Promise<T>((done, fail) => {
    let out = ''
    child.stdout!.on('data', (d) => {
      out += d
      const m = /READY (\{.*\})/.exec(out)
      if (m) done(JSON.parse(m[1]!))
    })
    child.stderr!.on('data', (d) => (out += d))
    child.once('exit', (code) => fail(new Error(`Cannot start ${what} (exit ${code}): ${out}`)))
  })
  return {
    child, ready,
    stop: () => new Promise((done) => {
      if (child.exitCode !== null) return done()
      child.once('exit', () => done())
      child.kill('SIGTERM')
    }),
  }
}

/** Starts the cgminer simulator and resolves once it listens. */
export async function startSimulator(args: string[]): Promise<{ child: ChildProcess; port: number; first: string; last: string; stop(): Promise<void> }> {
  const { child, ready, stop } = await startReady<{ port: number; first: string; last: string }>('tests/sim/main.ts', args, 'the simulator')
  return { child, ...ready, stop }
}

/** Starts the pool-statistics simulator (tests/sim/pool_api.ts: Braiins Pool and Antpool on one loopback URL). */
export function startPoolSimulator(args: string[]): Promise<ReadyChild<{ url: string }>> {
  return startReady('tests/sim/pool_api.ts', args, 'the pool simulator')
}

/** Runs the edge CLI to completion; resolves with its exit code and output. */
export function runEdge(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(DENO, ['run', '-A', 'edge-deno/main.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => (stdout += d))
    child.stderr!.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr })
    })
  })
}

/** Starts the edge CLI and leaves it running (`run` without --once); `stop` sends SIGTERM and gives its output. */
export function startEdge(args: string[], env: Record<string, string> = {}): { output(): string; stop(): Promise<{ code: number | null; output: string }> } {
  const child = spawn(DENO, ['run', '-A', 'edge-deno/main.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  return {
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      return { code: await exited, output }
    },
  }
}
