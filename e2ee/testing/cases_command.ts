/** Cases for sealed remote-control commands (e2ee/command.ts). */
import assert from 'node:assert/strict'
import {
  CommandRefusedError, commandSubject, ContextMismatchError, createCryptoService, encryptBlock, openCommand, sealCommand, UndecryptableBlockError,
  type Command, type DataKey,
} from '../mod.ts'
import { rejectsWith, tamper, type TestCase } from './case.ts'

const service = createCryptoService()
const KID = 'CCCCCCCCCCCCCCCCCCCCCC'
const keyFor = (fill: number, tenantId = 'tenant-a'): Promise<DataKey> => service.importDataKey(new Uint8Array(32).fill(fill), KID, tenantId)
const NOW = Date.parse('2026-12-01T10:00:00Z')
const command: Command = {
  command_id: 'cmd-1', tenant: 'tenant-a', site: 'site-a', miner_ids: ['miner-0001', 'miner-0002'], action: 'set_pools',
  params: { pools: [{ url: 'stratum+tcp://pool.example:3333', user: 'farm.w1', password: 'pool-secret' }] },
  issued_at: '2026-12-01T09:59:00Z', expires_at: '2026-12-01T10:05:00Z',
}
const expected = { tenantId: 'tenant-a', siteId: 'site-a', commandId: 'cmd-1', now: NOW }
const UNDECRYPTABLE = /^Cannot decrypt: wrong key, damaged data/

export const commandCases: TestCase[] = [
  {
    name: 'openCommand(sealCommand(c)) returns the command, and the block shows no param in clear',
    fn: async () => {
      const key = await keyFor(1)
      const block = await sealCommand(key, command)
      assert.equal(block.counter, 1)
      // Markers with a '-', '.' or '_', which base64 ciphertext cannot contain by chance.
      assert.doesNotMatch(JSON.stringify(block), /pool-secret|farm\.w1|set_pools|miner-0001/)
      assert.deepEqual(await openCommand(key, block, expected), command)
    },
  },
  {
    name: 'a tampered, forged, re-routed or relabelled command fails to open',
    fn: async () => {
      const key = await keyFor(1)
      const block = await sealCommand(key, command)
      const forged = await sealCommand(await keyFor(2), command)
      const table: [string, DataKey, unknown, typeof expected][] = [
        ['bit flipped in ciphertext', key, tamper(block, 'ciphertext', 77), expected],
        ['bit flipped in tag', key, tamper(block, 'tag', 3), expected],
        ['sealed with another key of the same kid', key, forged, expected],
        ['delivered to another site', key, block, { ...expected, siteId: 'site-b' }],
        ['delivered under another id', key, block, { ...expected, commandId: 'cmd-2' }],
      ]
      for (const [what, k, b, e] of table) {
        await rejectsWith(() => openCommand(k, b, e), UndecryptableBlockError, UNDECRYPTABLE).catch((error) => {
          throw new Error(`${what}: ${error}`)
        })
      }
      // A command is written once: any other counter is refused before decrypting.
      await rejectsWith(() => openCommand(key, { ...block, counter: 2 }, expected), ContextMismatchError, /another counter \(expected 1, got 2\)/)
    },
  },
  {
    name: 'an expired command is refused with reason expired, a live one opens up to its expiry',
    fn: async () => {
      const key = await keyFor(1)
      const block = await sealCommand(key, command)
      const error = await rejectsWith<CommandRefusedError>(() => openCommand(key, block, { ...expected, now: Date.parse(command.expires_at) }),
        CommandRefusedError, 'Cannot run command: it expired at 2026-12-01T10:05:00Z')
      assert.equal(error.reason, 'expired')
      assert.equal((await openCommand(key, block, { ...expected, now: Date.parse(command.expires_at) - 1 })).command_id, 'cmd-1')
    },
  },
  {
    name: 'a command whose sealed site, tenant or id differs from its subject is refused after opening',
    fn: async () => {
      const key = await keyFor(1)
      const seal = (patch: Partial<Command>) => encryptBlock(key, { ...command, ...patch }, { tenantId: 'tenant-a', kind: 'command', subjectId: commandSubject('site-a', 'cmd-1'), counter: 1 })
      const table: [Partial<Command>, string][] = [[{ site: 'site-b' }, 'wrong_site'], [{ tenant: 'tenant-b' }, 'wrong_tenant'], [{ command_id: 'cmd-9' }, 'wrong_id']]
      for (const [patch, reason] of table) {
        const error = await rejectsWith<CommandRefusedError>(async () => openCommand(key, await seal(patch), expected), CommandRefusedError, /^Cannot run command: /)
        assert.equal(error.reason, reason)
      }
    },
  },
  {
    name: 'sealCommand refuses malformed commands with the first problem named',
    fn: async () => {
      const key = await keyFor(1)
      const pool = { url: 'stratum+tcp://p:1', user: 'u', password: 'x' }
      const table: [Partial<Command> | Record<string, unknown>, string][] = [
        [{ action: 'format_disk' as never }, 'unknown action "format_disk"'],
        [{ miner_ids: [] }, 'miner_ids must list 1 to 10000 ids'],
        [{ miner_ids: ['m1', 'm1'] }, 'miner_ids repeats a miner'],
        [{ params: { pools: [pool, pool, pool, pool] } }, 'set_pools needs 1 to 3 pools'],
        [{ params: { pools: [pool, { url: 'x' }] } as never }, 'pool 2 needs url, user and password'],
        [{ action: 'blink_led', params: {} as never }, 'blink_led needs on: true or false'],
        [{ action: 'set_password', params: { new_password: '' } }, 'set_password needs a new_password of 1 to 128 characters'],
        [{ action: 'reboot', params: { force: true } as never }, 'reboot takes no parameters'],
        [{ expires_at: 'tomorrow' }, 'issued_at and expires_at must be ISO 8601 times'],
      ]
      for (const [patch, why] of table) {
        const error = await rejectsWith<CommandRefusedError>(() => sealCommand(key, { ...command, ...patch } as Command), CommandRefusedError, `Cannot run command: ${why}`)
        assert.equal(error.reason, 'malformed')
      }
      assert.throws(() => commandSubject('site/a', 'cmd-1'), { name: 'TypeError', message: "Cannot bind command: siteId must be a non-empty string without '/' or '|'" })
    },
  },
]
