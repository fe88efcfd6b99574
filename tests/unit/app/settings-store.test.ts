import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SettingsStore } from '../../../electron/core/settings-store'
import { plainSecretBox, safeStorageBox } from '../../../electron/core/secret-box'
import { testKeychain } from '../../support/keychain'
import { deriveDeviceKey } from '../../../electron/device/keys'
import { parseEnvSettings } from '../../../shared/settings'

const groupKey = randomBytes(64).toString('base64')
const input = {
  idScope: '0ne00ABCDEF',
  keyKind: 'group' as const,
  key: groupKey,
  deviceId: 'dev-1',
  modelId: 'dtmi:Sample:Failover;1',
  provisioningHost: 'global.azure-devices-provisioning.net',
  transport: 'mqtt' as const,
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'iotc-settings-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const fileText = () => readFile(path.join(dir, 'settings.json'), 'utf8')

/** What a reference sample's .env fills in, the same whichever sample wrote it. */
const sampleFields = (deviceId: string) => ({
  idScope: '0ne00ABCDEF',
  key: groupKey,
  keyKind: 'group',
  deviceId,
  modelId: 'dtmi:Sample:Failover;1',
  provisioningHost: 'global.azure-devices-provisioning.net',
})

describe('settings: keys kept as little and as sealed as possible', () => {
  it('keeps only the derived device key, encrypted, unless asked to keep the group key', async () => {
    const store = new SettingsStore(dir, safeStorageBox(testKeychain(), 'linux'))
    await store.save(input)
    const deviceKey = deriveDeviceKey(groupKey, 'dev-1')
    const active = store.active()
    expect(active).toMatchObject({ mode: 'central', deviceKey })
    let text = await fileText()
    expect(text).not.toContain(groupKey)
    expect(text).not.toContain(deviceKey)
    expect(store.publicProfiles()[0]).toMatchObject({
      groupKeyKept: false,
      keyMasked: '••••••••' + deviceKey.slice(-4),
    })
    expect((await stat(path.join(dir, 'settings.json'))).mode & 0o077).toBe(0)

    // Asked to keep the group key: it is kept, sealed too, and a new device id works without it.
    const id = store.activeId
    await store.save({ ...input, profileId: id, key: groupKey, keepGroupKey: true })
    await store.save({ ...input, profileId: id, key: '', deviceId: 'dev-2' })
    expect(store.active()).toMatchObject({ deviceKey: deriveDeviceKey(groupKey, 'dev-2') })
    text = await fileText()
    expect(text).not.toContain(groupKey)
    // No longer wanted: it leaves the file.
    await store.save({ ...input, profileId: id, key: '', deviceId: 'dev-2', keepGroupKey: false })
    expect(store.publicProfiles()[0]!.groupKeyKept).toBe(false)
    await expect(
      store.save({ ...input, profileId: id, key: '', deviceId: 'dev-3' }),
    ).rejects.toMatchObject({
      field: 'key',
      message: expect.stringMatching(/enter the group key again/),
    })
    // Asked to keep a group key that is not saved, with none entered: say so, change nothing.
    await expect(
      store.save({ ...input, profileId: id, key: '', deviceId: 'dev-2', keepGroupKey: true }),
    ).rejects.toMatchObject({ field: 'key', message: expect.stringMatching(/group key/) })
    expect(store.publicProfiles()[0]!.groupKeyKept).toBe(false)
  })

  it('without a keychain says so, and keeps the file owner-only', async () => {
    const box = safeStorageBox(
      { ...testKeychain(), getSelectedStorageBackend: () => 'basic_text' },
      'linux',
    )
    expect(box.encrypted).toBe(false)
    const store = new SettingsStore(dir, box)
    await store.save(input)
    expect(store.secretStorage()).toMatchObject({
      encrypted: false,
      notice: expect.stringMatching(/not encrypted .*no keyring/),
    })
    expect((await stat(path.join(dir, 'settings.json'))).mode & 0o077).toBe(0)
    // Even unencrypted, the group key was not asked to be kept: it is not there.
    expect(await fileText()).not.toContain(groupKey)
  })

  it.runIf(process.platform !== 'win32')(
    'a settings path that is a pipe or a device is refused at once, not read for ever',
    async () => {
      const file = path.join(dir, 'settings.json')
      execFileSync('mkfifo', [file])
      const store = new SettingsStore(dir, plainSecretBox('test'))
      expect((await store.load()).problem).toMatch(/not a regular file/)
      await rm(file)
      await symlink('/dev/zero', file)
      expect((await store.load()).problem).toMatch(/not a regular file/)
      expect(store.active().mode).toBe('lab')
    },
  )

  it('a key sealed elsewhere is reported as unreadable, asking for it again', async () => {
    await new SettingsStore(dir, safeStorageBox(testKeychain(), 'darwin')).save(input)
    const other = new SettingsStore(dir, safeStorageBox(testKeychain(), 'darwin'))
    await other.load()
    expect(other.publicProfiles()[0]).toMatchObject({ keyUnreadable: true, keyMasked: '' })
    expect(() => other.active()).toThrow(/cannot be read on this computer/)
  })

  it('moves a version-1 file (plain key) to sealed profiles', async () => {
    await writeFile(
      path.join(dir, 'settings.json'),
      JSON.stringify({ version: 1, mode: 'central', central: { ...input } }),
    )
    const store = new SettingsStore(dir, safeStorageBox(testKeychain(), 'win32'))
    expect(await store.load()).toEqual({ problem: null })
    expect(store.active()).toMatchObject({
      mode: 'central',
      deviceKey: deriveDeviceKey(groupKey, 'dev-1'),
    })
    expect(await fileText()).not.toContain(groupKey)
  })

  it('deleting a profile removes it and its keys; deleting the active one goes back to the lab', async () => {
    const store = new SettingsStore(dir, plainSecretBox('test'))
    await store.save(input)
    await store.save({ ...input, deviceId: 'dev-9', name: 'second' })
    expect(store.publicProfiles().map((p) => p.name)).toEqual(['dev-1 @ 0ne00ABCDEF', 'second'])
    await store.delete(store.activeId)
    expect(store.activeId).toBe('lab')
    expect(await fileText()).not.toContain('dev-9')
    await expect(store.delete('nope00')).rejects.toMatchObject({ code: 'not-found' })
  })

  it('takes a CA as PEM and refuses what is not a certificate', async () => {
    const store = new SettingsStore(dir, plainSecretBox('test'))
    const ca = execFileSync('node', [
      '-e',
      "const f=require('node-forge');const k=f.pki.rsa.generateKeyPair(1024);const c=f.pki.createCertificate();c.publicKey=k.publicKey;c.serialNumber='01';c.validity.notBefore=new Date();c.validity.notAfter=new Date(Date.now()+864e5);const a=[{name:'commonName',value:'My Lab CA'}];c.setSubject(a);c.setIssuer(a);c.sign(k.privateKey);process.stdout.write(f.pki.certificateToPem(c))",
    ]).toString()
    await store.save({ ...input, ca })
    expect(store.publicProfiles()[0]!.caSubject).toBe('CN=My Lab CA')
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'
    await expect(store.save({ ...input, ca: broken })).rejects.toMatchObject({ field: 'ca' })
  })
})

describe('importing a reference sample .env', () => {
  it('maps the samples names and reports the rest', () => {
    const r = parseEnvSettings(
      [
        '# device settings',
        `SCOPE_ID=0ne00ABCDEF`,
        `export GROUP_SYMMETRIC_KEY="${groupKey}"`,
        "DEVICE_ID='failover_js' # the sample's default",
        'MODEL_ID=dtmi:Sample:Failover;1',
        'PROVISIONING_HOST=global.azure-devices-provisioning.net',
        'TELEMETRY_SEND_ON=true',
      ].join('\n'),
    )
    expect(r).toEqual({
      fields: sampleFields('failover_js'),
      unknown: ['TELEMETRY_SEND_ON'],
      error: null,
    })
  })

  it("reads the TypeScript sample's camelCase names, with // comments after a value", () => {
    const r = parseEnvSettings(
      [
        'scopeId=0ne00ABCDEF',
        `groupSymmetricKey=${groupKey}`,
        'deviceId=failover_ts',
        'modelId="dtmi:Sample:Failover;1" // the model the sample sends',
        'provisioningHost=global.azure-devices-provisioning.net',
        'logLevel=debug',
      ].join('\n'),
    )
    expect(r).toEqual({
      fields: sampleFields('failover_ts'),
      unknown: ['logLevel'],
      error: null,
    })
    // A key may hold "/", so only a comment set off by a space is cut.
    expect(parseEnvSettings('DEVICE_KEY=ab/cd+ef== // old key').fields.key).toBe('ab/cd+ef==')
  })

  it('refuses what is not a .env', () => {
    expect(parseEnvSettings('x'.repeat(20_000)).error).toMatch(/not a .env file/)
    expect(parseEnvSettings('hello world').error).toMatch(/no SCOPE_ID/)
  })
})
