import { z } from 'zod'

// How much of a template the app and the lab take in. DTDL's own limits come first (v2/v3 specs:
// contents per interface, extends, schema depth, name length); the rest bound what a hostile file
// can cost before it is refused with a sentence.

export const modelLimits = {
  /** One file: far above any real template (the largest public ones are a few hundred KB). */
  fileChars: 1024 * 1024,
  /** Files in one load (a template and the models it references). */
  files: 200,
  /** All files of one load together. */
  totalChars: 8 * 1024 * 1024,
  /** JSON nesting of a document (DTDL's own schema depth is 5 in v2, 8 in v3). */
  jsonDepth: 40,
  /** DTDL v2: at most 300 contents per interface. v3 lifts it; we keep a bound of our own. */
  contentsV2: 300,
  contentsV3: 1000,
  /** Elements of the whole model once extends and components are followed. */
  elements: 5000,
  /** DTDL: at most two interfaces extended directly, ten levels deep. */
  extendsPerInterface: 2,
  /** Past DTDL's two (IoT Central's own templates extend five): refused beyond this. */
  extendsMax: 12,
  extendsDepth: 10,
  /** DTDL: complex schemas nested at most 5 (v2) or 8 (v3) levels. */
  schemaDepthV2: 5,
  schemaDepthV3: 8,
  /** DTDL: names of at most 64 (v2) or 512 (v3) characters. */
  nameCharsV2: 64,
  nameCharsV3: 512,
  /** Enum values, object fields: DTDL leaves them open; a template with more is not a device's. */
  enumValues: 1000,
  objectFields: 1000,
} as const

const file = z.object({
  name: z.string().min(1).max(256),
  text: z.string().max(modelLimits.fileChars, `a template file may be at most 1 MiB`),
})

/** What `model:load` takes: the template first, then files that define what it references. */
export const modelFilesSchema = z.object({
  files: z
    .array(file)
    .min(1, 'give the template file')
    .max(modelLimits.files, `at most ${modelLimits.files} files at once`)
    .refine(
      (fs) => fs.reduce((n, f) => n + f.text.length, 0) <= modelLimits.totalChars,
      'at most 8 MiB of files at once',
    ),
})
export type ModelFiles = z.infer<typeof modelFilesSchema>
