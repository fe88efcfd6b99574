import { nestsDeeperThan } from '../../../shared/json-depth'
import {
  checkValue,
  commandWireName,
  type CommandDef,
  type DeviceModel,
} from '../../../shared/dtdl'
import { sourceFor } from './generate'

type Command = CommandDef

export interface MethodAnswer {
  /** The request as we understood it (the parsed JSON, or the raw text when it was not JSON). */
  payload: unknown
  status: number
  body: unknown
}

export interface C2dOutcome {
  name: string
  payload: unknown
  outcome: 'completed' | 'rejected'
  reason: string
}

/**
 * A command by the name it has on the wire: `reboot` for the model's own, `thermostat1*reboot`
 * for a component's (IoT Plug and Play's separator), as a direct method or a C2D `method-name`.
 */
export function findCommand(
  model: DeviceModel,
  wireName: string,
  durable: boolean,
): Command | null {
  return (
    model.commands.find((c) => c.durable === durable && commandWireName(c) === wireName) ?? null
  )
}

/**
 * What a synchronous command answers: the response the user set for it, else an echo of the
 * argument for an echo command (the sample's `echo`), else a value made from its response schema.
 */
function respond(command: Command, arg: unknown, responses: Record<string, unknown>): unknown {
  const wire = commandWireName(command)
  if (Object.hasOwn(responses, wire)) return responses[wire]
  const response = command.response
  if (!response) return null
  if (/echo/i.test(command.name) && command.request && checkValue(arg, response.schema) === null)
    return arg
  return sourceFor(response.schema, { name: response.name }, Math.random).next()
}

const error = (code: string, message: string) => ({ error: { code, message } })

/** A method request's payload as shown to the user: its JSON value, or its text when not JSON. */
export function methodPayload(body: Buffer): unknown {
  const parsed = parseBody(body)
  return parsed.ok ? parsed.value : parsed.text
}

/** Deeper than any real command payload; a value nested thousands deep cannot be shown or sent. */
export const maxPayloadDepth = 32

function parseBody(
  body: Buffer,
): { ok: true; value: unknown } | { ok: false; text: string; why: string } {
  const text = body.toString('utf8')
  if (text.trim() === '') return { ok: true, value: null }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, text, why: 'not JSON' }
  }
  if (!nestsDeeperThan(value, maxPayloadDepth)) return { ok: true, value }
  const why = `JSON nested deeper than ${maxPayloadDepth} levels`
  return { ok: false, text: `(${why}, ${text.length} characters)`, why }
}

/**
 * IoT Central sends a command's request payload bare ("hi"); other tools wrap it in an object
 * named after the request field ({ "message": "hi" }). Both are accepted.
 */
function argumentOf(command: Command, payload: unknown): { arg: unknown; problem: string | null } {
  const request = command.request
  if (!request) return { arg: payload, problem: null }
  // An object schema's own fields could be named like the request: try the bare value first.
  const wrapped =
    typeof payload === 'object' &&
    payload !== null &&
    !Array.isArray(payload) &&
    Object.keys(payload).length === 1 &&
    request.name in payload &&
    checkValue(payload, request.schema) !== null
  const arg = wrapped ? (payload as Record<string, unknown>)[request.name] : payload
  if (arg === null && request.nullable) return { arg, problem: null }
  const problem = checkValue(arg, request.schema)
  return { arg, problem: problem && `${request.name}: ${problem}` }
}

/**
 * Answers a direct method: 200 with the command's response, 400 for a bad request, 404 for no
 * such method. `responses`: what the user set per command (wire name) in the window.
 */
export function answerMethod(
  name: string,
  body: Buffer,
  model: DeviceModel,
  responses: Record<string, unknown> = {},
): MethodAnswer {
  const parsed = parseBody(body)
  if (!parsed.ok)
    return {
      payload: parsed.text,
      status: 400,
      body: error('bad-request', `the request payload is ${parsed.why}`),
    }
  const payload = parsed.value
  const command = findCommand(model, name, false)
  if (!command)
    return {
      payload,
      status: 404,
      body: error(
        'method-not-found',
        findCommand(model, name, true)
          ? `"${name}" is a durable command: IoT Central sends it as a cloud-to-device message`
          : `this device has no direct method "${name}"`,
      ),
    }
  const { arg, problem } = argumentOf(command, payload)
  if (problem) return { payload, status: 400, body: error('bad-request', problem) }
  // IoT Plug and Play: the response payload is the response schema's value itself, not wrapped
  // in an object named after it (IoT Central shows it as the command's result).
  return { payload, status: 200, body: respond(command, arg, responses) }
}

/**
 * Settles a cloud-to-device message: a durable command from the model (named by the
 * `method-name` property, as IoT Central sends it) with a valid argument is completed;
 * anything else is rejected.
 */
export function settleC2d(
  properties: Record<string, string>,
  body: Buffer,
  model: DeviceModel,
): C2dOutcome {
  const parsed = parseBody(body)
  // A bare string body ("07:30") is the argument itself.
  const payload = parsed.ok ? parsed.value : parsed.text
  const name = properties['method-name']
  if (!name)
    return {
      name: '(no method-name)',
      payload,
      outcome: 'rejected',
      reason: 'the message has no method-name property',
    }
  const command = findCommand(model, name, true)
  if (!command)
    return {
      name,
      payload,
      outcome: 'rejected',
      reason: `this device has no durable command "${name}"`,
    }
  const { problem } = argumentOf(command, payload)
  if (problem) return { name, payload, outcome: 'rejected', reason: problem }
  return { name, payload, outcome: 'completed', reason: 'completed' }
}
