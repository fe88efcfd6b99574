import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseModel } from '../../../shared/dtdl'

/** The sample model the engine ships with (failover.json at the repo root). */
export const sampleModel = parseModel(
  JSON.parse(readFileSync(join(import.meta.dirname, '../../../failover.json'), 'utf8')),
)
