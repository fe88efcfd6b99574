import { randomBytes, X509Certificate } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import {
  caSchema,
  deviceIdSchema,
  hostSchema,
  idScopeSchema,
  maskKey,
  modelIdSchema,
  profileIdSchema,
  transportSchema,
  type PublicProfile,
  type PublicSettings,
  type SettingsInput,
} from '../../shared/settings'
import { deriveDeviceKey } from '../device/keys'
import { AppFailure } from './errors'
import type { SealedSecret, SecretBox } from './secret-box'

const sealedSchema = z.object({
  scheme: z.enum(['safeStorage', 'plain']),
  data: z.string().max(16_384),
})

const storedProfileSchema = z.object({
  id: profileIdSchema,
  name: z.string().min(1).max(64),
  idScope: idScopeSchema,
  keyKind: z.enum(['group', 'device']),
  deviceId: deviceIdSchema,
  modelId: modelIdSchema,
  provisioningHost: hostSchema,
  transport: transportSchema,
  ca: caSchema.optional(),
  /** `{ deviceKey, groupKey? }` as JSON, sealed by the SecretBox. */
  secret: sealedSchema,
})
export type StoredProfile = z.infer<typeof storedProfileSchema>

const fileSchema = z.object({
  version: z.literal(2),
  active: z.union([z.literal('lab'), profileIdSchema]),
  profiles: z.array(storedProfileSchema).max(50),
})
export type SettingsFile = z.infer<typeof fileSchema>

/** Version 1 kept one profile with its key in plain text. */
const v1Schema = z.object({
  version: z.literal(1),
  mode: z.enum(['lab', 'central']),
  central: z
    .object({
      idScope: idScopeSchema,
      keyKind: z.enum(['group', 'device']),
      key: z.string().max(256),
      deviceId: deviceIdSchema,
      modelId: modelIdSchema,
      provisioningHost: hostSchema,
      transport: transportSchema,
    })
    .nullable(),
})

interface Keys {
  deviceKey: string
  groupKey?: string
}

/** The profile in use, with its keys opened: what the core builds a device session from. */
export type ActiveSettings =
  { mode: 'lab' } | { mode: 'central'; profile: StoredProfile; deviceKey: string }

const emptyFile = (): SettingsFile => ({ version: 2, active: 'lab', profiles: [] })

/**
 * Device profiles as a JSON file in the app's data folder, written atomically with owner-only
 * permissions. A group key impersonates every device of its enrollment group, so a profile keeps
 * as little as it can: the device key derived for its device id, and the group key only while the
 * user asks to keep it — both sealed by the SecretBox (the OS keychain where there is one).
 */
const maxSettingsBytes = 4 * 1024 * 1024

/** The file's text, refusing (by throwing) one that grows past `max` while it is read. */
async function readAtMost(file: string, max: number): Promise<string> {
  const handle = await fs.open(file, 'r')
  try {
    const buffer = Buffer.alloc(max + 1)
    let length = 0
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
      if (length > max) throw new Error('it is larger than settings can be')
    }
    return buffer.subarray(0, length).toString('utf8')
  } finally {
    await handle.close()
  }
}

export class SettingsStore {
  readonly file: string
  private current: SettingsFile = emptyFile()

  constructor(
    dataDir: string,
    private readonly box: SecretBox,
  ) {
    this.file = path.join(dataDir, 'settings.json')
  }

  /** Reads the file. Missing → lab; unreadable → lab plus the reason (the file is left as is). */
  async load(): Promise<{ problem: string | null }> {
    let text: string
    try {
      const stat = await fs.stat(this.file)
      // A FIFO would block the read for good, a device (/dev/zero) reports size 0 and never ends.
      if (!stat.isFile())
        return { problem: `${this.file} is not a regular file; using the embedded lab` }
      // Settings are a few kilobytes; a huge file is not ours to parse.
      if (stat.size > maxSettingsBytes)
        return { problem: `${this.file} is too large to be settings; using the embedded lab` }
      text = await readAtMost(this.file, maxSettingsBytes)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { problem: null }
      return { problem: `could not read ${this.file}: ${(err as Error).message}` }
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return { problem: `saved settings in ${this.file} are not JSON; using the embedded lab` }
    }
    const parsed = fileSchema.safeParse(json)
    if (parsed.success) {
      const f = parsed.data
      this.current =
        f.active !== 'lab' && !f.profiles.some((p) => p.id === f.active)
          ? { ...f, active: 'lab' }
          : f
      return { problem: null }
    }
    const old = v1Schema.safeParse(json)
    if (old.success) {
      await this.migrate(old.data)
      return { problem: null }
    }
    return { problem: `saved settings in ${this.file} are not valid; using the embedded lab` }
  }

  /** The profile in use with its device key, or the lab. A key that cannot be opened is an error. */
  active(): ActiveSettings {
    const profile = this.profile(this.current.active)
    if (!profile) return { mode: 'lab' }
    const keys = this.keysOf(profile)
    if (!keys)
      throw new AppFailure(
        'bad-settings',
        `The saved key of "${profile.name}" cannot be read on this computer (${this.box.encrypted ? 'the keychain does not open it' : 'it was encrypted elsewhere'}). Open Settings and enter the key again.`,
      )
    return { mode: 'central', profile, deviceKey: keys.deviceKey }
  }

  /**
   * Saves a profile (new, or an existing one by id) and makes it the one in use. An empty key keeps
   * the saved one; a new device id needs the group key (kept, or entered again).
   */
  async save(input: SettingsInput): Promise<string> {
    const existing = input.profileId ? this.profile(input.profileId) : undefined
    if (input.profileId && !existing)
      throw new AppFailure('not-found', 'That device profile no longer exists.')
    const saved = existing ? this.keysOf(existing) : undefined
    let keys: Keys
    if (input.key) {
      keys =
        input.keyKind === 'group'
          ? {
              deviceKey: deriveDeviceKey(input.key, input.deviceId),
              ...(input.keepGroupKey ? { groupKey: input.key } : {}),
            }
          : { deviceKey: input.key }
    } else if (!saved) {
      throw new AppFailure(
        'bad-settings',
        existing
          ? 'The saved key cannot be read here: enter the key again.'
          : 'Enter the group or device key from IoT Central (none is saved yet).',
        'key',
      )
    } else if (existing!.deviceId === input.deviceId && existing!.keyKind === input.keyKind) {
      // Same device: keep its key; drop the group key if the user no longer wants it kept.
      if (input.keepGroupKey === true && !saved.groupKey)
        throw new AppFailure(
          'bad-settings',
          'To keep the group key, enter it: only the device key is saved for this profile.',
          'key',
        )
      keys = input.keepGroupKey === false ? { deviceKey: saved.deviceKey } : saved
    } else if (input.keyKind === 'group' && saved.groupKey) {
      keys = {
        deviceKey: deriveDeviceKey(saved.groupKey, input.deviceId),
        ...(input.keepGroupKey === false ? {} : { groupKey: saved.groupKey }),
      }
    } else {
      throw new AppFailure(
        'bad-settings',
        input.keyKind === 'group'
          ? `Only the device key of ${existing!.deviceId} is saved: enter the group key again to use device id ${input.deviceId}.`
          : 'Enter the device key for this device id.',
        'key',
      )
    }
    const ca = input.ca?.trim() ?? existing?.ca ?? ''
    if (ca) caSubject(ca, true)
    const id = existing?.id ?? randomBytes(6).toString('hex')
    const profile: StoredProfile = storedProfileSchema.parse({
      id,
      name: input.name ?? existing?.name ?? `${input.deviceId} @ ${input.idScope}`,
      idScope: input.idScope,
      keyKind: input.keyKind,
      deviceId: input.deviceId,
      modelId: input.modelId,
      provisioningHost: input.provisioningHost,
      transport: input.transport,
      ...(ca ? { ca } : {}),
      secret: this.box.seal(JSON.stringify(keys)),
    })
    const profiles = existing
      ? this.current.profiles.map((p) => (p.id === id ? profile : p))
      : [...this.current.profiles, profile]
    if (profiles.length > 50)
      throw new AppFailure('bad-settings', 'At most 50 device profiles: delete one first.')
    await this.write({ version: 2, active: id, profiles })
    return id
  }

  async activate(id: 'lab' | string): Promise<void> {
    if (id !== 'lab' && !this.profile(id))
      throw new AppFailure('not-found', 'That device profile no longer exists.')
    await this.write({ ...this.current, active: id })
  }

  /** Deletes a profile and its keys; deleting the one in use switches to the lab. */
  async delete(id: string): Promise<void> {
    if (!this.profile(id))
      throw new AppFailure('not-found', 'That device profile no longer exists.')
    const profiles = this.current.profiles.filter((p) => p.id !== id)
    await this.write({
      version: 2,
      active: this.current.active === id ? 'lab' : this.current.active,
      profiles,
    })
  }

  get activeId(): string {
    return this.current.active
  }

  publicProfiles(): PublicProfile[] {
    return this.current.profiles.map((p) => {
      const keys = this.keysOf(p)
      return {
        id: p.id,
        name: p.name,
        idScope: p.idScope,
        keyKind: p.keyKind,
        keyMasked: keys ? maskKey(keys.deviceKey) : '',
        groupKeyKept: !!keys?.groupKey,
        keyUnreadable: !keys,
        deviceId: p.deviceId,
        modelId: p.modelId,
        provisioningHost: p.provisioningHost,
        transport: p.transport,
        caSubject: p.ca ? caSubject(p.ca, false) : null,
      }
    })
  }

  secretStorage(): PublicSettings['secretStorage'] {
    return {
      encrypted: this.box.encrypted,
      how: this.box.how,
      notice: this.box.encrypted
        ? null
        : `Saved keys are ${this.box.how}. Anyone who can read your files can use them.`,
    }
  }

  private profile(id: string): StoredProfile | undefined {
    return this.current.profiles.find((p) => p.id === id)
  }

  private keysOf(p: StoredProfile): Keys | null {
    try {
      const keys = JSON.parse(this.box.open(p.secret as SealedSecret)) as Keys
      return typeof keys?.deviceKey === 'string' ? keys : null
    } catch {
      return null
    }
  }

  private async migrate(old: z.infer<typeof v1Schema>): Promise<void> {
    if (!old.central) {
      await this.write(emptyFile())
      return
    }
    const c = old.central
    // The user had chosen to keep this key: it stays, but sealed from now on.
    const keys: Keys =
      c.keyKind === 'group'
        ? { deviceKey: deriveDeviceKey(c.key, c.deviceId), groupKey: c.key }
        : { deviceKey: c.key }
    const { key: _key, ...rest } = c
    const profile = storedProfileSchema.parse({
      id: randomBytes(6).toString('hex'),
      name: `${c.deviceId} @ ${c.idScope}`,
      ...rest,
      secret: this.box.seal(JSON.stringify(keys)),
    })
    await this.write({
      version: 2,
      active: old.mode === 'central' ? profile.id : 'lab',
      profiles: [profile],
    })
  }

  private async write(next: SettingsFile): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true })
    const tmp = `${this.file}.${process.pid}.tmp`
    try {
      await fs.writeFile(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 })
      await fs.rename(tmp, this.file)
    } catch (err) {
      await fs.rm(tmp, { force: true })
      throw err
    }
    // rename keeps the temp file's mode, but an older file may have been wider: narrow it.
    await fs.chmod(this.file, 0o600).catch(() => undefined)
    this.current = next
  }
}

/** The subject of the first certificate in a PEM bundle; `strict` throws a field error when unreadable. */
export function caSubject(pem: string, strict: boolean): string | null {
  try {
    const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0]
    if (!first) throw new Error('no certificate')
    const cert = new X509Certificate(first)
    return cert.subject.replace(/\n/g, ', ')
  } catch (err) {
    if (strict)
      throw new AppFailure(
        'bad-settings',
        `CA certificate: not a readable PEM certificate (${(err as Error).message})`,
        'ca',
      )
    return null
  }
}
