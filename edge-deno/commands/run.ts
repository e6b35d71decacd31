import type { Command } from './_command.ts'

// Placeholder until the API client lands; replacing this file is all it takes.
const run: Command = {
  name: 'run',
  summary: 'poll the site miners and push telemetry to the API (not yet available)',
  help: 'Usage: edge-deno run\n\npoll the site miners and push telemetry to the API. Not yet available.',
  run(args) {
    if (args.includes('--help') || args.includes('-h')) return console.log(this.help), Promise.resolve(0)
    console.error('Cannot run: not yet available')
    return Promise.resolve(1)
  },
}

export default run
