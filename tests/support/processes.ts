/** Child processes for cross-runtime tests: the Deno simulator and the edge CLI. */
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../..')
export const DENO = resolve(ROOT, 'node_modules/.bin/deno')

/** Starts the cgminer simulator and resolves once it listens. */
export async function startSimulator(args: string[]): Promise<{ child: ChildProcess; port: number; first: string; last: string; stop(): Promise<void> }> {
  const child = spawn(DENO, ['run', '-A', 'tests/sim/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const ready = await new Promise<{ port: number; first: string; last: string }>((done, fail) => {
    let out = ''
    child.stdout!.on('data', (d) => {
      out += d
      const m = /READY (\{.*\})/.exec(out)
      if (m) done(JSON.parse(m[1]!))
    })
    child.stderr!.on('data', (d) => (out += d))
    child.once('exit', (code) => fail(new Error(`Cannot start the simulator (exit ${code}): ${out}`)))
  })
  return {
    child, ...ready,
    stop: () => new Promise((done) => {
      if (child.exitCode !== null) return done()
      child.once('exit', () => done())
      child.kill('SIGTERM')
    }),
  }
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
