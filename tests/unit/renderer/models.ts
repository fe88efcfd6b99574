import type { AppInfo } from '../../../shared/contract'
import type { DeviceModel, ModelReport, Schema } from '../../../shared/dtdl/types'

// Device models the renderer tests draw from: the built-in template, and a controller with two
// thermostat components and schemas of every shape the window has to show and edit.

const double: Schema = { kind: 'double' }

export const failoverModel: DeviceModel = {
  id: 'dtmi:Sample:Failover;1',
  displayName: 'Failover',
  dtdlVersion: 2,
  components: [],
  telemetry: [
    {
      component: null,
      name: 'temp',
      displayName: 'Temperature',
      schema: double,
      unit: 'degreeCelsius',
    },
    { component: null, name: 'humidity', displayName: 'Humidity', schema: double, unit: 'percent' },
  ],
  properties: [
    {
      component: null,
      name: 'battery',
      displayName: 'Battery Level',
      schema: double,
      writable: false,
    },
    {
      component: null,
      name: 'fanSpeed',
      displayName: 'Fan Speed',
      schema: { kind: 'integer' },
      writable: true,
    },
  ],
  commands: [
    {
      component: null,
      name: 'echo',
      displayName: 'Echo',
      durable: false,
      request: { name: 'message', displayName: 'Message', schema: { kind: 'string' } },
      response: { name: 'response', displayName: 'Response', schema: { kind: 'string' } },
    },
    {
      component: null,
      name: 'setAlarm',
      displayName: 'Set Alarm',
      durable: true,
      request: { name: 'time', displayName: 'Time', schema: { kind: 'time' } },
    },
  ],
  leftToCloud: [],
  notEmulated: [],
}

const modeEnum: Schema = {
  kind: 'enum',
  valueSchema: 'string',
  values: [
    { name: 'eco', displayName: 'Eco', value: 'eco' },
    { name: 'boost', displayName: 'Boost', value: 'boost' },
  ],
}

export const controllerModel: DeviceModel = {
  id: 'dtmi:com:example:TemperatureController;2',
  displayName: 'Temperature Controller',
  dtdlVersion: 2,
  components: [
    {
      name: 'thermostat1',
      displayName: 'Thermostat One',
      interfaceId: 'dtmi:com:example:Thermostat;1',
    },
    {
      name: 'thermostat2',
      displayName: 'Thermostat Two',
      interfaceId: 'dtmi:com:example:Thermostat;1',
    },
  ],
  telemetry: [
    // Listed out of order on purpose: the window puts the model's own fields first.
    {
      component: 'thermostat1',
      name: 'temperature',
      displayName: 'Temperature',
      schema: double,
      unit: 'degreeCelsius',
    },
    {
      component: null,
      name: 'workingSet',
      displayName: 'Working Set',
      schema: double,
      unit: 'kibibyte',
    },
    { component: null, name: 'location', displayName: 'Location', schema: { kind: 'geopoint' } },
    { component: null, name: 'mode', displayName: 'Mode', schema: modeEnum },
    {
      component: 'thermostat2',
      name: 'temperature',
      displayName: 'Temperature',
      schema: double,
      unit: 'degreeCelsius',
    },
    {
      component: 'thermostat1',
      name: 'accel',
      displayName: 'Acceleration',
      schema: { kind: 'vector' },
    },
  ],
  properties: [
    {
      component: null,
      name: 'serialNumber',
      displayName: 'Serial Number',
      schema: { kind: 'string' },
      writable: false,
    },
    {
      component: 'thermostat1',
      name: 'targetTemperature',
      displayName: 'Target Temperature',
      schema: double,
      writable: true,
    },
    {
      component: 'thermostat1',
      name: 'maxTempSinceLastReboot',
      displayName: 'Max since reboot',
      schema: double,
      writable: false,
    },
    { component: null, name: 'mode', displayName: 'Mode', schema: modeEnum, writable: true },
  ],
  commands: [
    {
      component: 'thermostat1',
      name: 'getMaxMinReport',
      displayName: 'Get Max-Min report',
      durable: false,
      request: { name: 'since', displayName: 'Since', schema: { kind: 'dateTime' } },
      response: {
        name: 'tempReport',
        displayName: 'Temperature Report',
        schema: {
          kind: 'object',
          fields: [
            { name: 'maxTemp', displayName: 'Max', schema: double },
            { name: 'minTemp', displayName: 'Min', schema: double },
          ],
        },
      },
    },
    {
      component: 'thermostat2',
      name: 'setMode',
      displayName: 'Set mode',
      durable: true,
      request: { name: 'mode', displayName: 'Mode', schema: modeEnum },
    },
    {
      component: null,
      name: 'configure',
      displayName: 'Configure',
      durable: false,
      request: {
        name: 'config',
        displayName: 'Config',
        schema: {
          kind: 'object',
          fields: [
            { name: 'level', displayName: 'Level', schema: { kind: 'integer' } },
            { name: 'label', displayName: 'Label', schema: { kind: 'string' } },
            {
              name: 'tags',
              displayName: 'Tags',
              schema: {
                kind: 'map',
                keyName: 'tag',
                valueName: 'value',
                value: { kind: 'string' },
              },
            },
          ],
        },
      },
    },
    { component: null, name: 'reboot', displayName: 'Reboot', durable: false },
  ],
  leftToCloud: [],
  notEmulated: [],
}

export function reportFor(model: DeviceModel, source: string): ModelReport {
  return {
    loaded: true,
    source,
    modelId: model.id,
    displayName: model.displayName,
    counts: {
      components: model.components.length,
      telemetry: model.telemetry.length,
      properties: model.properties.length,
      writable: model.properties.filter((p) => p.writable).length,
      commands: model.commands.length,
    },
    problems: [],
    warnings: [],
    leftToCloud: model.leftToCloud,
    notEmulated: model.notEmulated,
  }
}

/** App info in lab mode, the device being `model`. */
export function appInfo(model: DeviceModel, controlUrl = 'http://127.0.0.1:8090'): AppInfo {
  return {
    version: '0',
    mode: 'lab',
    shell: 'web',
    lab: {
      status: 'running',
      stoppedReason: null,
      controlUrl,
      tryFailover: '',
      tryFailback: '',
      lizard: 'npx lizard',
    },
    model,
    modelReport: reportFor(
      model,
      model === failoverModel ? 'failover.json (built in)' : 'controller.json',
    ),
    logDir: null,
    canOpenLogs: false,
    lastFault: null,
  }
}
