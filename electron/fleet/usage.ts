import { defaults } from './args'
import { count, fleetLimits } from './limits'
import { scenarioHelp } from './scenario'
import { defaultDpsHost, groupKeyEnv } from './target'

export const usage = `fleet — many IoT Central HA devices at once: provision, fail over and back, count every reading

Usage:
  fleet --devices N --duration TIME [options]     run a fleet; the report (JSON) on stdout or --report
  fleet merge a.json b.json … [--report FILE]     merge shard reports into one
  fleet --help

Run:
  --devices N            devices in the whole fleet (1 to ${count(fleetLimits.maxDevices)}; at most
                         ${count(fleetLimits.maxDevicesPerProcess)} per process); ids {prefix}-{index}, index from 0
  --duration TIME        how long to run, from the start: 90s, 10m, 1h30m (1s to 7d)
  --until-settled        end before --duration once the scenario is over and every device is
                         connected with nothing left to send (--duration is then the bound)
  --template FILE        the device template (DTDL, or an IoT Central export); default failover.json
  --prefix P             device id prefix (default ${defaults.prefix})
  --telemetry TIME       telemetry period (default 10s); --reported TIME: reported properties (60s)
  --report FILE          write the report here instead of stdout
  --data-dir DIR         each device's outbox in DIR/<id> (kept); default a temporary folder
  --json                 progress as JSON lines on stderr, no summary
  --verbose              the lab's own log lines too

Where the devices go (default: an embedded lab on free ports, stopped at the end):
  --lab-url URL          a running lab (npm run lab): http://127.0.0.1:PORT; its group key in
                         ${groupKeyEnv} or --group-key-file
  --id-scope S           an IoT Central application; group key (SAS-IoT-Devices) in ${groupKeyEnv}
                         or --group-key-file FILE (never printed, never in the report)
  --dps-host H           its provisioning host (default ${defaultDpsHost})
  --ca FILE              an extra trusted CA (PEM), for a lab or a private DPS
  --transport T          mqtt (8883, default) or mqttws (443)
  --lab-dps-detect SEC, --lab-rebalance SEC, --lab-dps-retry-after SEC
                         the embedded lab's DPS delays (defaults 10, 30, 1)

Pace (a fleet is a good citizen of the hub's connection rate and DPS's quota):
  --connect-rate N       new connections per second, whole fleet (default ${defaults.connectRate})
  --dps-rate N           DPS registrations per minute, whole fleet, for the first connects
                         (default: none against a lab, ${defaults.iotCentralDpsRate} against IoT Central, its quota)
  --ramp TIME            spread the first connects over at least this long
  --startup-timeout TIME the first device connects alone; past this (default 60s) the run is
                         called off (a wrong key, an unknown id scope, an unreachable DPS)

Past one machine:
  --shards K --shard I   run shard I (0 to K−1) of K: a disjoint range of indices, 1/K of each budget
  --start-at ISO         begin at this time (e.g. 2026-05-01T12:00:00Z), so shards begin together
  --processes K          run K shards here as child processes (one lab for all) and merge their reports

Drive the lab while the fleet runs (a lab only):
  --scenario "STEPS"
${scenarioHelp}

Exit codes: 0 done · 1 could not run (lab, DPS, key, a shard) · 2 bad input · 3 readings were lost ·
130 stopped by Ctrl+C (the report holds what there was)`
