import { actions, useApp } from '../store'

/** Over the single-device view while it shows a fleet device: which one, and the way back. */
export function FleetDeviceBar() {
  const device = useApp((s) => s.fleetDevice)
  if (!device) return null
  return (
    <section className="banners" aria-label="Fleet device">
      <div className="banner banner-info" data-testid="fleet-device-bar" data-id={device.id}>
        <span>
          Fleet device <strong className="mono">{device.id}</strong>, read-only:{' '}
          {device.live
            ? 'followed live while its fleet runs.'
            : 'as it was when its fleet stopped.'}
        </span>
        <button
          type="button"
          className="link"
          data-testid="fleet-back"
          onClick={() => actions.closeFleetDevice()}
        >
          Back to the fleet
        </button>
      </div>
    </section>
  )
}
