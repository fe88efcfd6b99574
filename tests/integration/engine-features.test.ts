import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, testLab, waitFor } from '../support/lab'
import { hubName, labDevice, labTelemetry, newSession, untilState } from './fixtures/engine'

// The seed's feature list, end to end: the engine and the unmodified SDK against the lab over TLS.

let lab: Awaited<ReturnType<typeof testLab>>
let device: ReturnType<typeof newSession>
const id = 'eng-features'

beforeAll(async () => {
  lab = await testLab()
  device = newSession(lab, id)
  await device.session.connect()
  await untilState(device.session, 'connected')
})
afterAll(async () => {
  await device?.dispose()
  await lab?.stop()
})

describe('the device engine against the lab', () => {
  it('provisions through DPS with the group key and connects to the assigned hub', async () => {
    const s = device.session.snapshot()
    const d = await labDevice(lab, id)
    const assigned = lab.hubs[d.assignedHub].host
    expect(s.hub).toEqual({ host: assigned, label: d.assignedHub.toUpperCase(), isHome: true })
    expect(s.homeHub).toBe(assigned)
    const other = assigned === lab.hubs.a.host ? lab.hubs.b.host : lab.hubs.a.host
    expect(s.hubHealth).toEqual({
      [assigned]: { status: 'up', at: expect.any(Number) },
      [other]: { status: 'unknown', at: null },
    })
    expect(s.dpsHealth).toMatchObject({ status: 'up' })
    expect(d.connectedTo).toBe(d.assignedHub)
    expect(device.session.timeline().map((e) => e.state)).toEqual([
      'provisioning',
      'connecting',
      'connected',
    ])
  })

  it('sends telemetry as JSON numbers with seq, message id and content type', async () => {
    await waitFor(
      '3 telemetry messages',
      async () => (await labTelemetry(lab, id)).stats.count >= 3,
    )
    const { messages } = await labTelemetry(lab, id)
    messages.slice(0, 3).forEach((m, i) => {
      expect(m.seq).toBe(i + 1)
      expect(m.messageId).toBe(`${id}-${i + 1}`)
      expect(m.properties.seq).toBe(String(i + 1))
      expect(m.systemProperties).toMatchObject({
        '$.ct': 'application/json',
        '$.ce': 'utf-8',
        '$.mid': `${id}-${i + 1}`,
      })
      expect(typeof m.body.temp).toBe('number')
      expect(typeof m.body.humidity).toBe('number')
    })
    const local = device.session.recentTelemetry()
    expect(local[0]).toMatchObject({ seq: 1, values: messages[0]!.body })
  })

  it('reports a draining battery as a reported property', async () => {
    const first = await waitFor(
      'battery reported',
      async () => (await labDevice(lab, id)).twin.reported.battery as number | undefined,
    )
    expect(first).toBeGreaterThan(0)
    expect(first).toBeLessThanOrEqual(100)
    await waitFor(
      'battery lower',
      async () => ((await labDevice(lab, id)).twin.reported.battery as number) < first,
    )
    await waitFor('acknowledged in the log', () =>
      device.session.reportedLog().some((r) => 'battery' in r.patch && r.status === 'acknowledged'),
    )
  })

  it('acknowledges every desired property: 200 for a good value, 400 with a reason for a wrong type or unknown name', async () => {
    const good = await api<{ desired: { $version: number } }>(
      lab,
      'PATCH',
      `/devices/${id}/twin/desired`,
      { fanSpeed: 3 },
    )
    const v1 = good.body.desired.$version
    await waitFor(
      'fanSpeed ack 200',
      async () =>
        JSON.stringify((await labDevice(lab, id)).twin.reported.fanSpeed) ===
        JSON.stringify({ value: 3, ac: 200, av: v1, ad: 'completed' }),
    )

    const bad = await api<{ desired: { $version: number } }>(
      lab,
      'PATCH',
      `/devices/${id}/twin/desired`,
      { fanSpeed: 'fast', mood: 'happy' },
    )
    const v2 = bad.body.desired.$version
    const reported = await waitFor('fanSpeed ack 400', async () => {
      const r = (await labDevice(lab, id)).twin.reported as Record<
        string,
        { ac: number; av: number; ad: string; value: unknown }
      >
      return r.fanSpeed?.av === v2 && r.mood ? r : null
    })
    expect(reported.fanSpeed).toMatchObject({ value: 'fast', ac: 400, av: v2 })
    expect(reported.fanSpeed!.ad).toMatch(/integer/)
    expect(reported.mood).toMatchObject({ value: 'happy', ac: 400, av: v2 })

    const edits = device.session.inbound().filter((e) => e.kind === 'desired')
    expect(edits.map((e) => [e.name, e.payload, e.response.status])).toEqual([
      ['fanSpeed', 3, 200],
      ['fanSpeed', 'fast', 400],
      ['mood', 'happy', 400],
    ])
    expect(device.session.snapshot().desired).toMatchObject({ fanSpeed: 'fast', mood: 'happy' })
  })

  it('answers echo, 404 for an unknown method, 400 for a malformed request', async () => {
    const echo = await api(lab, 'POST', `/devices/${id}/methods`, {
      methodName: 'echo',
      payload: { message: 'hello' },
      responseTimeoutInSeconds: 5,
    })
    expect(echo.body).toEqual({ status: 200, payload: 'hello' })
    const unknown = await api<{ status: number; payload: { error: { message: string } } }>(
      lab,
      'POST',
      `/devices/${id}/methods`,
      { methodName: 'selfDestruct', payload: {}, responseTimeoutInSeconds: 5 },
    )
    expect(unknown.body.status).toBe(404)
    expect(unknown.body.payload.error.message).toMatch(/selfDestruct/)
    const malformed = await api<{ status: number }>(lab, 'POST', `/devices/${id}/methods`, {
      methodName: 'echo',
      payload: 42,
      responseTimeoutInSeconds: 5,
    })
    expect(malformed.body.status).toBe(400)
    const methods = device.session.inbound().filter((e) => e.kind === 'method')
    expect(methods.map((e) => [e.name, e.response.status])).toEqual([
      ['echo', 200],
      ['selfDestruct', 404],
      ['echo', 400],
    ])
  })

  it('completes a setAlarm C2D command and rejects, without crashing, one it cannot identify', async () => {
    const sent = await api<{ messageId: string }>(lab, 'POST', `/devices/${id}/c2d`, {
      body: { time: '07:30' },
      properties: { 'method-name': 'setAlarm' },
    })
    await waitFor(
      'C2D completed',
      async () =>
        (await labDevice(lab, id)).c2d.find((m) => m.messageId === sent.body.messageId)?.state ===
        'completed',
    )
    await api(lab, 'POST', `/devices/${id}/c2d`, { body: 'no properties at all' })
    await api(lab, 'POST', `/devices/${id}/c2d`, {
      body: { time: 'teatime' },
      properties: { 'method-name': 'setAlarm' },
    })
    const c2d = await waitFor('three C2D entries', () => {
      const list = device.session.inbound().filter((e) => e.kind === 'c2d')
      return list.length === 3 ? list : null
    })
    expect(c2d.map((e) => [e.name, e.response.outcome])).toEqual([
      ['setAlarm', 'completed'],
      ['(no method-name)', 'rejected'],
      ['setAlarm', 'rejected'],
    ])
    expect(device.session.snapshot().state.kind).toBe('connected')
  })

  it('with C2D off leaves commands queued at the hub, even across a reconnect, and takes them when it is back on', async () => {
    const stateOf = async (messageId: string) =>
      (await labDevice(lab, id)).c2d.find((m) => m.messageId === messageId)?.state
    const c2dSeen = () => device.session.inbound().filter((e) => e.kind === 'c2d')
    const send = async (time: string) =>
      (
        await api<{ messageId: string }>(lab, 'POST', `/devices/${id}/c2d`, {
          body: { time },
          properties: { 'method-name': 'setAlarm' },
        })
      ).body.messageId
    const stillQueued = async (messageId: string) => {
      await new Promise((r) => setTimeout(r, 700))
      expect(await stateOf(messageId)).toBe('queued')
    }
    const before = c2dSeen().length

    // Switched off while the hub is down: the hub still holds the lost connection's subscription
    // (clean session 0), so the next connection must undo it.
    const hub = hubName(lab, device.session.snapshot().hub!.host)
    await api(lab, 'POST', `/hubs/${hub}/kill`)
    try {
      await waitFor('the hub lost', () => device.session.snapshot().state.kind !== 'connected')
      device.session.setBehaviour('c2dCommands', false)
    } finally {
      await api(lab, 'POST', `/hubs/${hub}/restore`)
    }
    await untilState(device.session, 'connected')
    const first = await send('06:00')
    await stillQueued(first)

    device.session.setBehaviour('c2dCommands', true)
    await waitFor('the first delivered', async () => (await stateOf(first)) === 'completed')

    // Switched off while connected.
    device.session.setBehaviour('c2dCommands', false)
    await new Promise((r) => setTimeout(r, 300))
    const second = await send('06:30')
    await stillQueued(second)
    device.session.setBehaviour('c2dCommands', true)
    await waitFor('the second delivered', async () => (await stateOf(second)) === 'completed')

    expect(
      c2dSeen()
        .slice(before)
        .map((e) => [e.payload, e.response.outcome]),
    ).toEqual([
      [{ time: '06:00' }, 'completed'],
      [{ time: '06:30' }, 'completed'],
    ])
  })

  it('switches behaviours at run time: telemetry off stops sending at once, methods off stops answering', async () => {
    const lastSeq = () => device.session.snapshot().lastTelemetry!.seq
    device.session.setBehaviour('telemetry', false)
    const seq = lastSeq()
    await waitFor(
      'the last one acknowledged',
      async () => (await labTelemetry(lab, id)).stats.lastSeq === seq,
    )
    await new Promise((r) => setTimeout(r, 700))
    expect(lastSeq()).toBe(seq)
    expect((await labTelemetry(lab, id)).stats.lastSeq).toBe(seq)
    device.session.setBehaviour('telemetry', true)
    await waitFor('telemetry again', async () => (await labTelemetry(lab, id)).stats.lastSeq! > seq)

    device.session.setBehaviour('directMethods', false)
    const ignored = await api<{ status: number }>(lab, 'POST', `/devices/${id}/methods`, {
      methodName: 'echo',
      payload: 'x',
      responseTimeoutInSeconds: 1,
    })
    expect(ignored.body.status).toBe(504)
    expect(device.session.inbound().at(-1)).toMatchObject({
      kind: 'method',
      payload: 'x', // the value sent, as an answered call shows it (not its JSON text)
      response: { outcome: 'ignored' },
    })
    device.session.setBehaviour('directMethods', true)

    expect(device.session.setPeriods({ telemetryMs: 100 })).toEqual({
      telemetryMs: 100,
      reportedMs: 400,
    })
  })

  it('acknowledges desired edits made while it was offline once it is back', async () => {
    await device.session.disconnect()
    const patched = await api<{ desired: { $version: number } }>(
      lab,
      'PATCH',
      `/devices/${id}/twin/desired`,
      { fanSpeed: 5 },
    )
    await device.session.connect()
    await untilState(device.session, 'connected')
    await waitFor('offline edit acknowledged', async () => {
      const ack = (await labDevice(lab, id)).twin.reported.fanSpeed as {
        value: number
        ac: number
        av: number
      }
      return ack.value === 5 && ack.ac === 200 && ack.av === patched.body.desired.$version
    })
  })

  it('disconnects cleanly: flushes, closes, and records it', async () => {
    await device.session.disconnect()
    const s = device.session.snapshot()
    expect(s.state.kind).toBe('disconnected')
    expect(s.counters.queued).toBe(0)
    expect(
      device.session
        .timeline()
        .slice(-2)
        .map((e) => e.state),
    ).toEqual(['disconnecting', 'disconnected'])
    expect((await labDevice(lab, id)).connectedTo).toBeNull()
    const { stats } = await labTelemetry(lab, id)
    expect(stats.missing).toEqual([])
    expect(stats.lastSeq).toBe(device.session.recentTelemetry().at(-1)!.seq)
  })
})
