import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectInfo, sampleModelId, type ConnectInfo } from '../../../lab/cli-connect-info'
import { deriveDeviceKey } from '../../../lab/sas'
import { testLab } from '../../support/lab'

// `lizard connect-info` against a running lab: the values a device of your own needs, the group
// key only when asked (read from the lab's data folder, never from its API), and --json.

type Lab = Awaited<ReturnType<typeof testLab>>
let lab: Lab

beforeAll(async () => {
  lab = await testLab()
})
afterAll(async () => {
  await lab?.stop()
})

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await connectInfo(
    ['--url', lab.controlUrl, ...args],
    { write: (s: string) => (out += s) },
    { write: (s: string) => (err += s) },
  )
  return { code, out, err }
}

describe('lizard connect-info', () => {
  it('prints what a device needs, and never the key unless asked', async () => {
    const r = await run()
    expect(r.code).toBe(0)
    expect(r.err).toBe('')
    const port = lab.dpsHost.split(':')[1]
    expect(r.out).toMatch(new RegExp(`provisioning host +${lab.dpsHost.replace(/\./g, '\\.')}`))
    expect(r.out).toContain(`port ${port}`)
    expect(r.out).toMatch(new RegExp(`id scope +${lab.idScope}`))
    expect(r.out).toContain(lab.caPath)
    expect(r.out).toContain(`${lab.hubs.a.host}`)
    expect(r.out).toContain(`${lab.hubs.b.host}`)
    expect(r.out).toContain(sampleModelId)
    expect(r.out).toMatch(/registration id +my-device/)
    expect(r.out).toMatch(/group key +hidden/)
    // Per-language lines, shell-quoted where a shell would read a character (the DTMI's ';').
    expect(r.out).toContain(`NODE_EXTRA_CA_CERTS=${lab.caPath} provisioningHost=${lab.dpsHost}`)
    expect(r.out).toContain(`SCOPE_ID=${lab.idScope}`)
    expect(r.out).toContain(`MODEL_ID='${sampleModelId}'`)
    expect(r.out).toContain(`PROVISIONING_PORT=${port}`)
    // A private lab runs on ephemeral ports without WebSockets: the notes say what that costs.
    expect(r.out).toContain('dial 8883 only')
    expect(r.out).toContain('MQTT over WebSockets is off')
    for (const secret of [lab.groupPrimaryKey, lab.groupSecondaryKey]) {
      expect(r.out).not.toContain(secret)
    }
    expect(r.out).not.toContain('GROUP_SYMMETRIC_KEY')
    expect(r.out).not.toContain('groupSymmetricKey')
  })

  it('--json parses, matches the lab, and carries no key without --show-key', async () => {
    const r = await run('--json', '--device', 'byod-1')
    expect(r.code).toBe(0)
    const info = JSON.parse(r.out) as ConnectInfo
    const [host, port] = lab.dpsHost.split(':')
    expect(info).toMatchObject({
      controlUrl: lab.controlUrl,
      provisioningHost: lab.dpsHost,
      dps: { host, port: Number(port), webSocketHost: null },
      idScope: lab.idScope,
      registrationId: 'byod-1',
      modelId: sampleModelId,
      caPath: lab.caPath,
      hubs: {
        a: { host: '127.0.0.1', port: lab.hubs.a.port, webSocketHost: null },
        b: { host: '127.0.0.1', port: lab.hubs.b.port, webSocketHost: null },
      },
      webSockets: { enabled: false },
    })
    expect(info).not.toHaveProperty('groupPrimaryKey')
    expect(info).not.toHaveProperty('deviceKey')
    expect(info).not.toHaveProperty('caPem')
    expect(Object.keys(info.env).sort()).toEqual(['c', 'csharp', 'java', 'node', 'python'])
    expect(r.out).not.toContain(lab.groupPrimaryKey)
  })

  it('--show-key reads the key from the lab data folder, with the device key derived from it', async () => {
    const text = await run('--show-key', '--device', 'byod-1')
    expect(text.code).toBe(0)
    expect(text.out).toContain(lab.groupPrimaryKey)
    expect(text.out).toContain(deriveDeviceKey(lab.groupPrimaryKey, 'byod-1'))
    expect(text.out).toContain(`GROUP_SYMMETRIC_KEY=${lab.groupPrimaryKey}`)
    expect(text.out).toContain(join(lab.dataDir, 'enrollment.json'))
    // The secondary key is never needed by a device here: it stays in the file.
    expect(text.out).not.toContain(lab.groupSecondaryKey)

    const json = JSON.parse(
      (await run('--show-key', '--json', '--device', 'byod-1')).out,
    ) as ConnectInfo
    expect(json.groupPrimaryKey).toBe(lab.groupPrimaryKey)
    expect(json.deviceKey).toBe(deriveDeviceKey(lab.groupPrimaryKey, 'byod-1'))
    expect(json.env.python).toContain(`GROUP_SYMMETRIC_KEY=${lab.groupPrimaryKey}`)
    expect(json.env.node).toContain(`groupSymmetricKey=${lab.groupPrimaryKey}`)
  })

  it('--ca-pem prints the CA itself; with --json as caPem', async () => {
    const pem = readFileSync(lab.caPath, 'utf8')
    const r = await run('--ca-pem')
    expect(r.code).toBe(0)
    expect(r.out.trim()).toBe(pem.trim())
    expect(r.out).toContain('-----BEGIN CERTIFICATE-----')
    const j = JSON.parse((await run('--ca-pem', '--json')).out) as ConnectInfo
    expect(j.caPem).toBe(pem)
    expect(j).not.toHaveProperty('groupPrimaryKey')
  })

  it('refuses an enrollment that is not this lab’s, and says who may read the key', async () => {
    const path = join(lab.dataDir, 'enrollment.json')
    const saved = readFileSync(path, 'utf8')
    try {
      writeFileSync(path, JSON.stringify({ ...JSON.parse(saved), idScope: '0neOTHER' }))
      const other = await run('--show-key')
      expect(other.code).toBe(1)
      expect(other.err).toMatch(/not to this lab's/)
      expect(other.out).toBe('')
      writeFileSync(path, '{not json')
      expect((await run('--show-key')).err).toMatch(/not the lab's enrollment/)
      // Root reads any file, so an unreadable enrollment can only be shown to other users.
      if (process.getuid?.() !== 0) {
        writeFileSync(path, saved)
        chmodSync(path, 0o000)
        const denied = await run('--show-key')
        expect(denied.code).toBe(1)
        expect(denied.err).toMatch(/only the lab's owner/)
      }
    } finally {
      chmodSync(path, 0o600)
      writeFileSync(path, saved)
    }
  })

  it('exits 2 on usage errors and 1 when no lab answers', async () => {
    expect((await run('--device', '-bad-')).code).toBe(2)
    expect((await run('--no-such-flag')).code).toBe(2)
    expect((await run('stray')).code).toBe(2)
    let err = ''
    const code = await connectInfo(
      ['--url', 'http://127.0.0.1:1'],
      { write: () => {} },
      { write: (s: string) => (err += s) },
    )
    expect(code).toBe(1)
    expect(err).toMatch(/no lab answers at http:\/\/127\.0\.0\.1:1/)
    const help = await run('--help')
    expect(help.code).toBe(0)
    expect(help.out).toMatch(/^usage: lizard connect-info/)
  })
})
