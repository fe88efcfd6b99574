import { describe, expect, it } from 'vitest'
import { loadTemplates, TemplateRegistry } from '../../../lab/templates'
import type { ModelDocument } from '../../../shared/dtdl/types'

// The templates a lab knows: given documents, each a template, resolving one another; and what a
// device names, found in a models folder when nobody gave it.

const iface = (id: string, contents: unknown[] = []): ModelDocument => ({
  name: `${id}.json`,
  text: JSON.stringify({
    '@context': 'dtmi:dtdl:context;2',
    '@id': id,
    '@type': 'Interface',
    contents: [{ '@type': 'Telemetry', name: 't', schema: 'double' }, ...contents],
  }),
})
const component = (name: string, schema: string) => ({ '@type': 'Component', name, schema })

describe('templates from documents', () => {
  it('loads each document as a template, resolving references among them first', () => {
    const loads = loadTemplates(
      [iface('dtmi:x:Root;1', [component('c1', 'dtmi:x:Part;1')]), iface('dtmi:x:Part;1')],
      [() => null],
    )
    expect(loads.map((l) => [l.ids, l.report.loaded, l.report.counts?.components])).toEqual([
      [['dtmi:x:Root;1'], true, 1],
      [['dtmi:x:Part;1'], true, 0],
    ])
  })

  it('keeps all or nothing when asked, and a known DTMI replaces the one before it', () => {
    const reg = new TemplateRegistry()
    const refused = reg.add([
      iface('dtmi:x:A;1'),
      iface('dtmi:x:B;1', [component('c', 'dtmi:x:Gone;1')]),
    ])
    expect(refused).toMatchObject({ ok: false })
    expect(reg.list()).toEqual([])
    expect(reg.add([iface('dtmi:x:A;1')]).ok).toBe(true)
    expect(reg.add([{ ...iface('dtmi:x:A;1'), name: 'again.json' }]).ok).toBe(true)
    expect(reg.list()).toEqual([
      { modelId: 'dtmi:x:A;1', displayName: expect.any(String), source: 'again.json' },
    ])
    // A later template resolves what the lab already has.
    expect(reg.add([iface('dtmi:x:C;1', [component('a', 'dtmi:x:A;1')])]).ok).toBe(true)
  })
})

describe('templates a device names', () => {
  it('are read from the models folder once, and a miss is not read again at once', () => {
    let now = 0
    const reg = new TemplateRegistry(
      () => {},
      () => now,
    )
    const asked: string[] = []
    const folder: Record<string, ModelDocument> = { 'dtmi:x:Dev;1': iface('dtmi:x:Dev;1') }
    reg.addResolver((dtmi) => {
      asked.push(dtmi)
      return folder[dtmi] ?? null
    })
    expect(reg.get('dtmi:x:Dev;1')?.id).toBe('dtmi:x:Dev;1')
    expect(reg.get('dtmi:x:Dev;1')?.id).toBe('dtmi:x:Dev;1')
    expect(reg.get('dtmi:x:New;1')).toBeUndefined()
    expect(reg.get('dtmi:x:New;1')).toBeUndefined()
    expect(asked).toEqual(['dtmi:x:Dev;1', 'dtmi:x:New;1'])
    // Put in the folder later: found once the miss has been forgotten.
    folder['dtmi:x:New;1'] = iface('dtmi:x:New;1')
    now += 10_001
    expect(reg.get('dtmi:x:New;1')?.id).toBe('dtmi:x:New;1')
    expect(reg.list().map((t) => t.modelId)).toEqual(['dtmi:x:Dev;1', 'dtmi:x:New;1'])
  })
})
