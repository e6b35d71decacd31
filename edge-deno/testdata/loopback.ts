/** A random 127.x.y.1 base per test, so parallel test runs on one machine do not collide. */
export function randomLoopbackBase(): string {
  const b = 20 + Math.floor(Math.random() * 230)
  const c = Math.floor(Math.random() * 250)
  return `127.${b}.${c}.1`
}
