import { fleetLimits } from './limits'

// A fleet's device ids: `{prefix}-{index}`, index from 0. The id is the DPS registration id too,
// so the prefix keeps to DPS's set (letters, digits, - . _ :, no special character at either end).

const prefixRe = /^[A-Za-z0-9](?:[A-Za-z0-9._:-]*[A-Za-z0-9])?$/

/** Why a prefix cannot name devices, or null when it can. */
export function prefixProblem(prefix: string): string | null {
  if (prefix.length === 0 || prefix.length > fleetLimits.maxPrefixChars)
    return `--prefix: 1–${fleetLimits.maxPrefixChars} characters`
  if (!prefixRe.test(prefix))
    return '--prefix: letters, digits and - . _ : (starting and ending with a letter or digit), as DPS registration ids allow'
  return null
}

export const deviceId = (prefix: string, index: number) => `${prefix}-${index}`

/** The index in `id`, when it is a device of this prefix; null otherwise (`fleet-07` is not one). */
export function indexOf(prefix: string, id: string): number | null {
  if (!id.startsWith(prefix + '-')) return null
  const rest = id.slice(prefix.length + 1)
  if (!/^(?:0|[1-9]\d{0,8})$/.test(rest)) return null
  return Number(rest)
}
