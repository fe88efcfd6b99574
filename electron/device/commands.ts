import { nestsDeeperThan } from '../../shared/json-depth'
import { checkValue, type DeviceModel } from '../../shared/model'

type Command = DeviceModel['commands'][number]

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

/** What each implemented synchronous command does with its (validated) argument. */
const methods: Record<string, (arg: unknown) => unknown> = {
  echo: (arg) => arg,
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
  const wrapped =
    typeof payload === 'object' &&
    payload !== null &&
    !Array.isArray(payload) &&
    request.name in payload
  const arg = wrapped ? (payload as Record<string, unknown>)[request.name] : payload
  const problem = checkValue(arg, request.schema)
  return { arg, problem: problem && `${request.name}: ${problem}` }
}

/** Answers a direct method: 200 with the command's response, 400 for a bad request, 404 for no such method. */
export function answerMethod(name: string, body: Buffer, model: DeviceModel): MethodAnswer {
  const parsed = parseBody(body)
  if (!parsed.ok)
    return {
      payload: parsed.text,
      status: 400,
      body: error('bad-request', `the request payload is ${parsed.why}`),
    }
  const payload = parsed.value
  const command = model.commands.find((c) => c.name === name && !c.durable)
  if (!command)
    return {
      payload,
      status: 404,
      body: error('method-not-found', `this device has no direct method "${name}"`),
    }
  const run = methods[name]
  if (!run)
    return {
      payload,
      status: 501,
      body: error(
        'not-implemented',
        `"${name}" is in the model but this emulator does not implement it`,
      ),
    }
  const { arg, problem } = argumentOf(command, payload)
  if (problem) return { payload, status: 400, body: error('bad-request', problem) }
  const result = run(arg)
  return {
    payload,
    status: 200,
    body: command.response ? { [command.response.name]: result } : null,
  }
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
  const command = model.commands.find((c) => c.name === name && c.durable)
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
