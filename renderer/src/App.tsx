import { DropLoader } from './components/DropLoader'
import { ErrorBanner } from './components/ErrorBanner'
import { Header } from './components/Header'
import { HubMap } from './components/HubMap'
import { Inbound } from './components/Inbound'
import { LabHint } from './components/LabHint'
import { Properties } from './components/Properties'
import { SettingsDialog } from './components/SettingsForm'
import { Sidebar } from './components/Sidebar'
import { Telemetry } from './components/Telemetry'
import { Timeline } from './components/Timeline'

export function App() {
  return (
    <div className="app">
      <Header />
      <ErrorBanner />
      <DropLoader />
      <div className="body">
        <Sidebar />
        <main className="main">
          <HubMap />
          <Timeline />
          <div className="panels">
            <Telemetry />
            <Inbound />
            <Properties />
          </div>
        </main>
      </div>
      <LabHint />
      <SettingsDialog />
    </div>
  )
}
