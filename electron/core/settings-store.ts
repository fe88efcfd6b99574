import { promises as fs } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { base64KeySchema, settingsInputSchema, type SettingsInput } from '../../shared/settings'
import { AppFailure } from './errors'

/** What is kept on disk. The key lives here and nowhere the renderer can reach. */
export const storedCentralSchema = settingsInputSchema.extend({ key: base64KeySchema })
export type StoredCentral = z.infer<typeof storedCentralSchema>

const fileSchema = z.object({
  version: z.literal(1),
  mode: z.enum(['lab', 'central']),
  central: storedCentralSchema.nullable(),
})
export type SettingsFile = z.infer<typeof fileSchema>

/**
 * Settings as a JSON file in the app's data folder. Written atomically (temp file + rename) with
 * owner-only permissions, because it holds the group or device key.
 */
export class SettingsStore {
  readonly file: string
  private current: SettingsFile = { version: 1, mode: 'lab', central: null }

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'settings.json')
  }

  /** Reads the file. Missing → lab mode; unreadable → lab mode plus the reason (file left as is). */
  async load(): Promise<{ settings: SettingsFile; problem: string | null }> {
    let text: string
    try {
      text = await fs.readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { settings: this.current, problem: null }
      return {
        settings: this.current,
        problem: `could not read ${this.file}: ${(err as Error).message}`,
      }
    }
    try {
      const parsed = fileSchema.safeParse(JSON.parse(text))
      if (!parsed.success) {
        return {
          settings: this.current,
          problem: `saved settings in ${this.file} are not valid; using the embedded lab`,
        }
      }
      this.current =
        parsed.data.mode === 'central' && !parsed.data.central
          ? { ...parsed.data, mode: 'lab' }
          : parsed.data
      return { settings: this.current, problem: null }
    } catch {
      return {
        settings: this.current,
        problem: `saved settings in ${this.file} are not JSON; using the embedded lab`,
      }
    }
  }

  get(): SettingsFile {
    return this.current
  }

  /** Saves central settings. An empty key keeps the saved one; with none saved, a key is required. */
  async saveCentral(input: SettingsInput): Promise<SettingsFile> {
    const key = input.key === '' ? this.current.central?.key : input.key
    if (!key)
      throw new AppFailure(
        'bad-settings',
        'Enter the group or device key from IoT Central (none is saved yet).',
      )
    const central = storedCentralSchema.parse({ ...input, key })
    return this.write({ version: 1, mode: 'central', central })
  }

  /** Switches to the embedded lab, keeping the central settings for later. */
  async useLab(): Promise<SettingsFile> {
    return this.write({ ...this.current, mode: 'lab' })
  }

  private async write(next: SettingsFile): Promise<SettingsFile> {
    await fs.mkdir(path.dirname(this.file), { recursive: true })
    const tmp = `${this.file}.${process.pid}.tmp`
    await fs.writeFile(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 })
    await fs.rename(tmp, this.file)
    this.current = next
    return next
  }
}
