/**
 * Remote control of a site's miners: pick the miners (one, the filtered list, or
 * the whole site), an action and its settings, confirm (twice for more than 50
 * miners or a password change), then watch each miner's result arrive.
 */
import { useState } from 'preact/hooks'
import type { CommandAction, CommandParams, PoolSetting } from '../../../e2ee/command.ts'
import type { Miner } from '../shared/api_types.ts'
import { commandViews, issueCommand, needsSecondConfirmation, watchCommand } from './commands.ts'
import { finishPasswordChanges } from './password_changes.ts'
import { session } from './state.ts'

const ACTIONS: Record<CommandAction, string> = {
  reboot: 'Reboot', restart: 'Restart mining software', pause: 'Pause mining', resume: 'Resume mining',
  set_pools: 'Set pools', blink_led: 'Blink LED', set_password: "Change the miner's web password",
}
const ISSUERS = new Set(['owner', 'admin', 'operator'])
type Scope = 'shown' | 'site' | 'one'
type Step = 'edit' | 'confirm' | 'confirm-again' | 'sending'

export function CommandsPanel({ siteId, miners, shown }: { siteId: string; miners: Miner[]; shown: Miner[] }) {
  const [scope, setScope] = useState<Scope>('shown')
  const [one, setOne] = useState<string>('')
  const [action, setAction] = useState<CommandAction>('reboot')
  const [pools, setPools] = useState<PoolSetting[]>([{ url: '', user: '', password: '' }])
  const [ledOn, setLedOn] = useState(true)
  const [password, setPassword] = useState(['', ''])
  const [step, setStep] = useState<Step>('edit')
  const [commandId, setCommandId] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)

  const role = session.value?.tenant.role ?? 'viewer'
  if (!ISSUERS.has(role)) return <p class="hint">Your role ({role}) can watch miners but not send them commands.</p>

  const targets = scope === 'site' ? miners : scope === 'shown' ? shown : miners.filter((m) => m.id === one)
  const names = new Map(miners.map((m) => [m.id, m.name]))
  const view = commandId ? commandViews.value.get(commandId) : undefined

  function params(): CommandParams[CommandAction] | string {
    if (action === 'set_pools') {
      const filled = pools.filter((p) => p.url.trim() !== '')
      return filled.length === 0 ? 'Enter at least one pool URL' : { pools: filled.map((p) => ({ url: p.url.trim(), user: p.user.trim(), password: p.password })) }
    }
    if (action === 'blink_led') return { on: ledOn }
    if (action === 'set_password') {
      if (password[0]!.length < 1) return 'Enter the new password'
      return password[0] === password[1] ? { new_password: password[0]! } : 'The two passwords differ'
    }
    return {}
  }

  async function send() {
    const p = params()
    if (typeof p === 'string') return setError(p)
    setStep('sending')
    setCommandId(null)
    setError(null)
    try {
      const issued = await issueCommand(siteId, targets.map((m) => m.id), action, p)
      setCommandId(issued.id)
      setStep('edit')
      await watchCommand(issued.id)
      if (action === 'set_password') {
        const problems = await finishPasswordChanges()
        if (problems.length) setError(`The new password could not be saved for ${problems.length} miner(s): ${problems[0]!.message}`)
      }
    } catch (e) {
      setStep('edit')
      setError((e as Error).message)
    }
  }

  function next(event: SubmitEvent) {
    event.preventDefault()
    if (targets.length === 0) return setError('Choose at least one miner')
    const p = params()
    if (typeof p === 'string') return setError(p)
    setError(null)
    if (step === 'edit') return setStep('confirm')
    if (step === 'confirm' && needsSecondConfirmation(action, targets.length)) return setStep('confirm-again')
    void send()
  }

  const what = `${ACTIONS[action]} on ${targets.length} miner${targets.length === 1 ? '' : 's'}`
  return (
    <form class="stack panel" aria-label="Control miners" onSubmit={next}>
      <h2>Control miners</h2>
      <div class="row">
        <label class="grow">Miners
          <select aria-label="Which miners" value={scope} onChange={(e) => setScope(e.currentTarget.value as Scope)}>
            <option value="shown">The {shown.length} listed below</option>
            <option value="site">The whole site ({miners.length})</option>
            <option value="one">One miner</option>
          </select>
        </label>
        {scope === 'one' && (
          <label class="grow">Miner
            <select aria-label="Miner" value={one} onChange={(e) => setOne(e.currentTarget.value)}>
              <option value="">Choose…</option>
              {miners.map((m) => <option value={m.id}>{m.name}</option>)}
            </select>
          </label>
        )}
        <label class="grow">Action
          <select aria-label="Action" value={action} onChange={(e) => (setAction(e.currentTarget.value as CommandAction), setStep('edit'))}>
            {(Object.keys(ACTIONS) as CommandAction[]).map((a) => <option value={a}>{ACTIONS[a]}</option>)}
          </select>
        </label>
      </div>
      {action === 'set_pools' && pools.map((p, i) => (
        <div class="row" key={i}>
          <input class="grow" aria-label={`Pool ${i + 1} URL`} placeholder="stratum+tcp://pool:3333" value={p.url} onInput={(e) => setPools(pools.map((q, j) => (j === i ? { ...q, url: e.currentTarget.value } : q)))} />
          <input aria-label={`Pool ${i + 1} user`} placeholder="account.worker" value={p.user} onInput={(e) => setPools(pools.map((q, j) => (j === i ? { ...q, user: e.currentTarget.value } : q)))} />
          <input aria-label={`Pool ${i + 1} password`} type="password" placeholder="password" value={p.password} onInput={(e) => setPools(pools.map((q, j) => (j === i ? { ...q, password: e.currentTarget.value } : q)))} />
        </div>
      ))}
      {action === 'set_pools' && pools.length < 3 && <button type="button" onClick={() => setPools([...pools, { url: '', user: '', password: '' }])}>Add a backup pool</button>}
      {action === 'blink_led' && <label><input type="checkbox" checked={ledOn} onChange={(e) => setLedOn(e.currentTarget.checked)} /> LED on (untick to switch it off)</label>}
      {action === 'set_password' && (
        <div class="row">
          <input class="grow" type="password" aria-label="New password" placeholder="New password" value={password[0]} onInput={(e) => setPassword([e.currentTarget.value, password[1]!])} />
          <input class="grow" type="password" aria-label="New password again" placeholder="Again" value={password[1]} onInput={(e) => setPassword([password[0]!, e.currentTarget.value])} />
        </div>
      )}
      <p class="hint">Settings and passwords are encrypted on this device; the server sees only the action, the miners and the time.</p>
      {step === 'confirm' && <p role="status">Send “{what}”? Press the button again to confirm.</p>}
      {step === 'confirm-again' && <p role="alert" class="warning">This is {action === 'set_password' ? 'a password change' : `a command for ${targets.length} miners`}. Press once more to send it.</p>}
      {error && <p class="error" role="alert">{error}</p>}
      <div class="row">
        <button type="submit" class="primary" disabled={step === 'sending'}>{step === 'edit' ? `${ACTIONS[action]}…` : step === 'sending' ? 'Sending…' : 'Confirm and send'}</button>
        {step !== 'edit' && step !== 'sending' && <button type="button" onClick={() => setStep('edit')}>Cancel</button>}
      </div>
      {view && (
        <section class="stack" aria-label="Command progress" data-command={view.id}>
          <p role="status" data-status={view.status}>
            {ACTIONS[view.action]}: {view.status} · {view.counts.ok} ok, {view.counts.error} failed, {view.counts.unsupported} not supported, {view.counts.pending} waiting
            {view.refusal && ` · refused by the edge: ${view.refusal.message}`}
          </p>
          <ul class="results">
            {view.results.map((r) => <li data-miner={r.miner_id} class={`badge ${r.status}`}>{names.get(r.miner_id) ?? r.miner_id}: {r.status}{r.message ? ` (${r.message})` : ''}</li>)}
          </ul>
        </section>
      )}
    </form>
  )
}
