import type { Command } from './_command.ts'

// Placeholder until the API client lands; replacing this file is all it takes.
const enroll: Command = {
  name: 'enroll',
  summary: 'enrol this collector with the API (not yet available)',
  help: 'Usage: edge-deno enroll\n\nenrol this collector with the API. Not yet available.',
  run(args) {
    if (args.includes('--help') || args.includes('-h')) return console.log(this.help), Promise.resolve(0)
    console.error('Cannot enroll: not yet available')
    return Promise.resolve(1)
  },
}

export default enroll
