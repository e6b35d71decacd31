/**
 * What a miner's web interface answered, and what a client must offer to send to it.
 * Apart from the client (`miner_http.ts`, Deno I/O) so that Digest auth, which needs
 * only these shapes, also loads in Node's tests.
 */

/** One HTTP answer, its body decoded as UTF-8. */
export interface HttpReply {
  status: number
  /** Header values by lower-case name, in order of appearance. */
  headers: Map<string, string[]>
  body: string
}

/** A connection to one miner's web interface. */
export interface HttpRequester {
  /** `host:port` as the Host header gives it: the miner's identity for caches. */
  readonly authority: string
  request(method: string, path: string, headers?: Record<string, string>, body?: string): Promise<HttpReply>
}
