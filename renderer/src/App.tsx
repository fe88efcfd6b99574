import { DropLoader } from './components/DropLoader'
import { ErrorBanner } from './components/ErrorBanner'
import { ExamView } from './components/ExamView'
import { FleetDeviceBar } from './components/FleetDeviceBar'
import { FleetView } from './components/FleetView'
import { Header } from './components/Header'
import { HubMap } from './components/HubMap'
import { Inbound } from './components/Inbound'
import { LabHint } from './components/LabHint'
import { Properties } from './components/Properties'
import { SettingsDialog } from './components/SettingsForm'
import { Sidebar } from './components/Sidebar'
import { Telemetry } from './components/Telemetry'
import { Timeline } from './components/Timeline'
import { useApp } from './store'

export function App() {
  // The fleet view beside the single device; a fleet device opened from it shows in the
  // single-device view (read-only), with the way back above it.
  const fleetShown = useApp((s) => s.view === 'fleet' && s.fleetDevice === null)
  const examShown = useApp((s) => s.view === 'exam' && s.fleetDevice === null)
  return (
    <div className="app">
      <Header />
      <ErrorBanner />
      <FleetDeviceBar />
      <DropLoader />
      <div className="body">
        <Sidebar />
        <main className="main">
          {fleetShown ? (
            <FleetView />
          ) : examShown ? (
            <ExamView />
          ) : (
            <>
              <HubMap />
              <Timeline />
              <div className="panels">
                <Telemetry />
                <Inbound />
                <Properties />
              </div>
            </>
          )}
        </main>
      </div>
      <LabHint />
      <SettingsDialog />
    </div>
  )
}
