// The device model, shared by the engine, the lab and the window (pure: no Node, no DOM).
export * from './types'
export { modelLimits, modelFilesSchema, type ModelFiles } from './limits'
export { loadModel, modelReport, parseModel, dtmiPath, type LoadOptions } from './parse'
export { checkValue, describeSchema, exampleValue, unitSymbol } from './values'
