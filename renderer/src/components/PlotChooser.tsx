import type { ComponentGroup } from '../model-view'
import { maxPlotted, seriesColors, type Plottable } from '../plot-series'

interface Props {
  groups: ComponentGroup<Plottable>[]
  chosen: readonly string[]
  onChange: (keys: string[]) => void
}

/** Which numeric series the plot draws: a few at a time, so a model of thirty fields stays legible. */
export function PlotChooser({ groups, chosen, onChange }: Props) {
  const all = groups.flatMap((g) => g.items)
  const full = chosen.length >= maxPlotted
  const names = chosen
    .map((k) => all.find((p) => p.key === k)?.label)
    .filter(Boolean)
    .join(', ')
  const headed = groups.length > 1
  return (
    <details className="plot-chooser" data-testid="plot-chooser">
      <summary>
        Plotted: {names || 'nothing'}{' '}
        <span className="muted small">
          ({chosen.length} of {all.length}, at most {maxPlotted})
        </span>
      </summary>
      <div className="plot-choices">
        {groups.map((g) => (
          <fieldset key={g.component ?? ''} className="plot-choice-group">
            <legend className={headed ? undefined : 'sr-only'}>{g.label}</legend>
            {g.items.map((p) => {
              const at = chosen.indexOf(p.key)
              return (
                <label key={p.key} className="check plot-choice">
                  <input
                    type="checkbox"
                    data-testid={`plot-pick-${p.key}`}
                    checked={at >= 0}
                    disabled={at < 0 && full}
                    onChange={(e) =>
                      onChange(
                        e.target.checked ? [...chosen, p.key] : chosen.filter((k) => k !== p.key),
                      )
                    }
                  />
                  {at >= 0 && (
                    <span
                      className="swatch"
                      aria-hidden="true"
                      style={{ background: seriesColors[at % seriesColors.length] }}
                    />
                  )}
                  {p.shortLabel}
                  {p.unit && <span className="muted"> ({p.unit})</span>}
                </label>
              )
            })}
          </fieldset>
        ))}
        {full && (
          <p className="muted small" data-testid="plot-chooser-full">
            {maxPlotted} at most at once: clear one to pick another.
          </p>
        )}
      </div>
    </details>
  )
}
