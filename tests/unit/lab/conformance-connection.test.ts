import { describe, expect, it } from 'vitest'
import { LabState } from '../../../lab/state'

// A device that changes its template reconnects with the new model id; the last messages of its
// old connection can be handled after the new CONNECT. They belong to the old template: judged
// against the new one they were findings the device never earned (a flaky e2e showed it).

const template = (id: string, field: string) => ({
  name: `${field}.json`,
  text: JSON.stringify({
    '@context': 'dtmi:dtdl:context;2',
    '@id': id,
    '@type': 'Interface',
    contents: [{ '@type': 'Telemetry', name: field, schema: 'double' }],
  }),
})

describe('conformance per connection', () => {
  it('judges a message by the model id of the connection it came on', () => {
    const state = new LabState({ a: 'a.lab', b: 'b.lab' }, 5)
    state.templates.add(
      [template('dtmi:x:Old;1', 'temp'), template('dtmi:x:New;1', 'pressure')],
      'each',
    )
    const { device } = state.register('d1')
    device.conformance.connected('dtmi:x:Old;1')
    state.checkTelemetry(device, 'dtmi:x:Old;1', () => ({ temp: 21 }), undefined)
    device.conformance.connected('dtmi:x:New;1')
    // The old connection's late message, then the new connection's.
    state.checkTelemetry(device, 'dtmi:x:Old;1', () => ({ temp: 21 }), undefined)
    state.checkReported(device, 'dtmi:x:Old;1', { battery: 90 })
    state.checkTelemetry(device, 'dtmi:x:New;1', () => ({ pressure: 1013 }), undefined)
    expect(state.conformance(device)).toMatchObject({
      template: 'checked',
      checked: 1,
      findings: 0,
    })
    state.checkTelemetry(device, 'dtmi:x:New;1', () => ({ temp: 21 }), undefined)
    expect(state.conformance(device)).toMatchObject({ checked: 2, findings: 1 })
  })
})
