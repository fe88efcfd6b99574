import { promises as fs } from 'node:fs'
import path from 'node:path'
import {
  loadModel,
  modelFilesSchema,
  modelReport,
  type DeviceModel,
  type ModelDocument,
  type ModelReport,
} from '../../shared/dtdl'
import { AppFailure } from './errors'

/** The model a device runs, and what loading it said. */
export interface ActiveModel {
  model: DeviceModel
  report: ModelReport
  /** The template's files, for the lab to check traffic against; empty for the built-in one. */
  files: ModelDocument[]
}

/** Reads the built-in template (failover.json): it must load, or the app cannot start. */
export async function readModelFile(file: string): Promise<ActiveModel> {
  const text = await fs.readFile(file, 'utf8')
  const docs = [{ name: path.basename(file), text }]
  const load = loadModel(docs)
  if (!load.ok)
    throw new Error(
      `${file} does not load: ${load.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    )
  return {
    model: load.model,
    report: modelReport(load, `${path.basename(file)} (built in)`),
    files: docs,
  }
}

/**
 * The template each device profile uses (the embedded lab's too), kept as the files the user
 * gave in `models/<profile>.json` in the app's data folder: a template reloads exactly as it
 * loaded, even when the originals have moved.
 */
export class ModelStore {
  private readonly dir: string

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'models')
  }

  private file(profileId: string): string {
    return path.join(this.dir, `${profileId.replace(/[^a-z0-9-]/g, '-')}.json`)
  }

  /** Parses files into a model; the report says why when they do not load. */
  static parse(files: ModelDocument[]): { active: ActiveModel | null; report: ModelReport } {
    const load = loadModel(files)
    const report = modelReport(load, files[0]?.name ?? '')
    return { active: load.ok ? { model: load.model, report, files } : null, report }
  }

  /** The profile's template, or null for the built-in one. A saved one that no longer loads says so. */
  async load(profileId: string): Promise<{ active: ActiveModel | null; problem: string | null }> {
    let text: string
    try {
      const stat = await fs.stat(this.file(profileId))
      if (!stat.isFile()) return { active: null, problem: 'the saved template is not a file' }
      text = await fs.readFile(this.file(profileId), 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { active: null, problem: null }
      return {
        active: null,
        problem: `could not read the saved template: ${(err as Error).message}`,
      }
    }
    let files: ModelDocument[]
    try {
      const parsed = modelFilesSchema.safeParse(JSON.parse(text))
      if (!parsed.success) return { active: null, problem: 'the saved template is damaged' }
      files = parsed.data.files
    } catch {
      return { active: null, problem: 'the saved template is not JSON' }
    }
    const { active, report } = ModelStore.parse(files)
    if (!active)
      return {
        active: null,
        problem: `the saved template ${report.source} no longer loads: ${report.problems[0]?.message ?? ''}`,
      }
    return { active, problem: null }
  }

  async save(profileId: string, files: ModelDocument[]): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true })
    const target = this.file(profileId)
    const temp = `${target}.tmp`
    try {
      await fs.writeFile(temp, JSON.stringify({ files }), { mode: 0o600 })
      await fs.rename(temp, target)
    } catch (err) {
      throw new AppFailure('internal', `could not keep the template: ${(err as Error).message}`)
    }
  }

  async clear(profileId: string): Promise<void> {
    await fs.rm(this.file(profileId), { force: true })
  }
}
