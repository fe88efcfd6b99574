import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createWebApi, socketUrlFromLocation } from '../../../renderer/src/api/web-api'

// The browser side of the web shell's socket (renderer/src/api/web-api.ts) with the socket stood
// in: what happens to a click made while the app cannot be reached.

class FakeSocket {
  static readonly OPEN = 1
  static all: FakeSocket[] = []
  readyState = 0
  sent: { id: number; channel: string }[] = []
  onopen: (() => void) | null = null
  onclose: (() => void) | null = null
  onmessage: ((ev: { data: string }) => void) | null = null
  constructor(readonly url: string) {
    FakeSocket.all.push(this)
  }
  send(text: string) {
    this.sent.push(JSON.parse(text) as { id: number; channel: string })
  }
  close() {
    this.drop()
  }
  // Test controls: the server accepts, answers, or goes away.
  accept() {
    this.readyState = FakeSocket.OPEN
    this.onopen?.()
  }
  answer(id: number) {
    this.onmessage?.({ data: JSON.stringify({ id, result: { ok: true, value: null } }) })
  }
  drop() {
    this.readyState = 3
    this.onclose?.()
  }
}

const latest = () => FakeSocket.all.at(-1)!

beforeEach(() => {
  vi.useFakeTimers()
  FakeSocket.all = []
})
afterEach(() => {
  vi.useRealTimers()
})

function connect() {
  return createWebApi('ws://127.0.0.1:1/ws?token=t', FakeSocket as unknown as typeof WebSocket)
}

describe('web shell client', () => {
  it('a call made before the socket opens is sent once it opens', async () => {
    const web = connect()
    const call = web.api.sessionSnapshot()
    latest().accept()
    expect(latest().sent.map((m) => m.channel)).toEqual(['session:snapshot'])
    latest().answer(latest().sent[0]!.id)
    expect(await call).toEqual({ ok: true, value: null })
    web.close()
  })

  it('a click that failed while the app was unreachable is not carried out when it comes back', async () => {
    const web = connect()
    latest().accept()
    latest().drop() // the web shell went away
    // The user presses Disconnect: it waits for the socket, which does not come back in time.
    const disconnect = web.api.sessionDisconnect()
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(5_000)
      latest().drop() // reconnect attempts fail
    }
    await vi.advanceTimersByTimeAsync(30_000) // the call gives up
    expect(await disconnect).toMatchObject({ ok: false, error: { code: 'unavailable' } })
    // Much later the app is back: the failed Disconnect must not reach it.
    await vi.advanceTimersByTimeAsync(6_000)
    latest().accept()
    const snapshot = web.api.sessionSnapshot()
    expect(latest().sent.map((m) => m.channel)).toEqual(['session:snapshot'])
    latest().answer(latest().sent[0]!.id)
    expect(await snapshot).toMatchObject({ ok: true })
    web.close()
  })

  it('a call queued while connecting fails with the attempt and is not replayed', async () => {
    const web = connect()
    const call = web.api.sessionReconnect()
    latest().drop() // the first attempt fails
    expect(await call).toMatchObject({ ok: false, error: { code: 'unavailable' } })
    await vi.advanceTimersByTimeAsync(600)
    latest().accept()
    expect(latest().sent).toEqual([])
    web.close()
  })

  it('builds the socket URL from the page URL and its token', () => {
    expect(socketUrlFromLocation(new URL('http://127.0.0.1:5/?token=a%2Bb'))).toBe(
      'ws://127.0.0.1:5/ws?token=a%2Bb',
    )
    expect(socketUrlFromLocation(new URL('http://127.0.0.1:5/'))).toBeNull()
  })
})

describe('a request too large for the socket', () => {
  it('is answered in the window with a reason, and the connection stays up', async () => {
    const web = connect()
    latest().accept()
    const r = await web.api.settingsSave({
      idScope: '0ne00ABCDEF',
      keyKind: 'group',
      key: 'A'.repeat(17 << 20),
      deviceId: 'd',
      modelId: 'dtmi:x;1',
      provisioningHost: 'h',
      transport: 'mqtt',
    })
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: /more than the app takes/ },
    })
    expect(latest().sent).toEqual([])
    expect(latest().readyState).toBe(FakeSocket.OPEN)
    web.close()
  })
})
