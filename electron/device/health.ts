import type { DpsHealth, HubHealth } from '../../shared/domain'
import {
  type DpsProblem,
  type HubProblem,
  type LinkLoss,
  describeDpsProblem,
  describeHubProblem,
  describeLoss,
} from '../../shared/timeline'

/** What a failed CONNECT says about a hub. */
function hubStatus(p: HubProblem): HubHealth['status'] {
  if (p.kind === 'refused') return 'refusing'
  if (p.kind === 'unreachable') return 'unreachable'
  return 'silent'
}

/** What a lost link says about its hub; null when it says nothing (the device closed it). */
function lossStatus(l: LinkLoss): HubHealth['status'] | null {
  switch (l.kind) {
    case 'silent':
    case 'twin-timeout':
      return 'silent'
    case 'broken':
      return 'unreachable'
    case 'closed':
      // It answered (with a close): alive, though not ours for now.
      return 'up'
    default:
      return null
  }
}

function dpsStatus(p: DpsProblem): DpsHealth['status'] {
  switch (p.kind) {
    case 'throttled':
      return 'throttled'
    case 'unauthorized':
    case 'unknown-scope':
    case 'bad-request':
    case 'not-assigned':
    case 'refused':
      return 'refusing'
    default:
      return 'unreachable'
  }
}

/** DPS and each hub as this device experiences them, for the window's map of the story. */
export class Health {
  private readonly hubs = new Map<string, HubHealth>()
  private dps: DpsHealth = { status: 'unknown', at: null }

  constructor(
    knownHubs: string[],
    private readonly now: () => number = Date.now,
  ) {
    for (const host of knownHubs) this.hubs.set(host, { status: 'unknown', at: null })
  }

  hubUp(host: string): void {
    this.hubs.set(host, { status: 'up', at: this.now() })
  }

  hubFailed(host: string, p: HubProblem): void {
    this.hubs.set(host, { status: hubStatus(p), at: this.now(), detail: describeHubProblem(p) })
  }

  hubLost(host: string, l: LinkLoss): void {
    const status = lossStatus(l)
    if (status) this.hubs.set(host, { status, at: this.now(), detail: describeLoss(l) })
  }

  dpsUp(): void {
    this.dps = { status: 'up', at: this.now() }
  }

  dpsFailed(p: DpsProblem): void {
    this.dps = { status: dpsStatus(p), at: this.now(), detail: describeDpsProblem(p) }
  }

  snapshot(): { hubHealth: Record<string, HubHealth>; dpsHealth: DpsHealth } {
    return {
      hubHealth: Object.fromEntries([...this.hubs].map(([k, v]) => [k, { ...v }])),
      dpsHealth: { ...this.dps },
    }
  }
}
