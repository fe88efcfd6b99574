import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DeviceSession } from '../../electron/device/index'
import { api, testLab, waitFor } from '../support/lab'
import { hubName, labDevice, newSession, untilState } from './fixtures/engine'

// C2D switched off while the hub is down: the hub kept our subscription (clean session 0) and
// delivers a queued command right after CONNACK, before the device can unsubscribe. The device
// holds it unacknowledged (on MQTT the PUBACK is the settlement), so the hub still has it, and
// acts on it when C2D is switched back on.

let lab: Awaited<ReturnType<typeof testLab>>

beforeAll(async () => {
  lab = await testLab()
})
afterAll(async () => {
  await lab?.stop()
})

const stateAtHub = async (id: string, messageId: string) =>
  (await labDevice(lab, id)).c2d.find((m) => m.messageId === messageId)?.state

/**
 * With the device connected and C2D on: the hub goes down, C2D is switched off, a setAlarm is
 * sent, the hub comes back. Resolves with the command's message id once the device holds it.
 */
async function commandDuringOutage(session: DeviceSession, id: string, time: string) {
  await session.connect()
  await untilState(session, 'connected')
  const hub = hubName(lab, session.snapshot().hub!.host)
  await api(lab, 'POST', `/hubs/${hub}/kill`)
  let messageId: string
  try {
    await waitFor('the hub lost', () => session.snapshot().state.kind !== 'connected')
    session.setBehaviour('c2dCommands', false)
    const sent = await api<{ messageId: string }>(lab, 'POST', `/devices/${id}/c2d`, {
      body: { time },
      properties: { 'method-name': 'setAlarm' },
    })
    messageId = sent.body.messageId
  } finally {
    await api(lab, 'POST', `/hubs/${hub}/restore`)
  }
  await untilState(session, 'connected')
  const held = await waitFor('the command held', () =>
    session.inbound().find((e) => e.kind === 'c2d' && e.response.outcome === 'held'),
  )
  expect(held).toMatchObject({ name: 'setAlarm', payload: { time } })
  // Held means not acknowledged: the hub still has it.
  expect(await stateAtHub(id, messageId)).not.toBe('completed')
  return messageId
}

describe('C2D commands while C2D is off', () => {
  it('a command queued during an outage is held, not settled, and runs once C2D is back on', async () => {
    const id = 'eng-c2d-held'
    const { session, dispose } = newSession(lab, id)
    try {
      const messageId = await commandDuringOutage(session, id, '05:45')
      session.setBehaviour('c2dCommands', true)
      await waitFor(
        'completed at the hub',
        async () => (await stateAtHub(id, messageId)) === 'completed',
      )
      const c2d = session.inbound().filter((e) => e.kind === 'c2d')
      expect(c2d.map((e) => [e.name, e.response.outcome])).toEqual([
        ['setAlarm', 'held'],
        ['setAlarm', 'completed'],
      ])
    } finally {
      await dispose()
    }
  })

  it('a held command the link dropped comes again on the next connection, and runs once', async () => {
    const id = 'eng-c2d-again'
    const { session, dispose } = newSession(lab, id)
    try {
      const messageId = await commandDuringOutage(session, id, '06:15')
      // The link goes before C2D is switched on: nothing was acknowledged, so the hub has it.
      session.reconnect()
      await waitFor('reconnected', () =>
        session.timeline().some((e) => e.cause?.code === 'lost' && e.cause.loss.kind === 'asked'),
      )
      await untilState(session, 'connected')
      expect(await stateAtHub(id, messageId)).not.toBe('completed')
      session.setBehaviour('c2dCommands', true)
      await waitFor(
        'completed at the hub',
        async () => (await stateAtHub(id, messageId)) === 'completed',
      )
      await waitFor('completed on the device', () =>
        session.inbound().some((e) => e.response.outcome === 'completed'),
      )
      // Delivered twice by the hub, shown held once and run once.
      expect(session.inbound().map((e) => e.response.outcome)).toEqual(['held', 'completed'])
    } finally {
      await dispose()
    }
  })
})
