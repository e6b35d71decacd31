/** A temporary state directory per test, removed on dispose. */
export async function tempStateDir(): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: 'hi-edge-test-' })
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) }
}
