/**
 * The one shape every benchmark reports in. A figure is compared with a baseline
 * measured in the same run on the same machine, so ratios survive slow CI boxes.
 */
export interface BenchResult {
  name: string
  value: number
  unit: string
  baseline: number | null
  /** value / baseline, or null when there is no baseline. */
  ratio: number | null
  /** What the figure means or the goal it is held to, for the reader of the log. */
  note?: string
}

/** A named group of figures; `name` is the prefix every figure's name starts with. */
export interface BenchSuite {
  name: string
  run(): Promise<BenchResult[]>
}

/**
 * Builds a result, computing the ratio from the baseline.
 * @example result('e2ee.decrypt.v2.node', 50_000, 'blocks/s', 150)
 */
export function result(name: string, value: number, unit: string, baseline: number | null, note?: string): BenchResult {
  const round = (n: number) => Math.round(n * 1000) / 1000
  return {
    name,
    value: round(value),
    unit,
    baseline: baseline === null ? null : round(baseline),
    ratio: baseline ? round(value / baseline) : null,
    ...(note ? { note } : {}),
  }
}

/** The line `npm run bench` prints for a figure (also parsed from Deno child processes). */
export function benchLine(r: BenchResult): string {
  return `BENCH ${JSON.stringify(r)}`
}

/** Reads BENCH lines out of a child process's output. */
export function parseBenchLines(text: string): BenchResult[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('BENCH '))
    .map((line) => JSON.parse(line.slice('BENCH '.length)) as BenchResult)
}
