import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
  /** A reference line (e.g. the 90 % bar): dashed. */
  reference?: boolean;
  format: (v: number) => string;
}

/**
 * A time series chart (uPlot on a canvas) with labelled axes, and the same numbers as a table for
 * screen readers and tests (`data-series`, `data-value`): the canvas alone says nothing to them.
 */
export function TimeChart({
  id,
  title,
  times,
  series,
  yLabel,
  yRange,
  empty,
}: {
  id: string;
  title: string;
  times: string[];
  series: Series[];
  yLabel: string;
  /** A fixed y range (rates: 0–1); otherwise from the data. */
  yRange?: [number, number];
  /** What to say when no bucket has a value. */
  empty: string;
}) {
  const hasData = series.some((s) => !s.reference && s.values.some((v) => v !== null));
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || !hasData) return;
    const xs = times.map((t) => Date.parse(t) / 1000);
    const fmt = series[0]?.format ?? String;
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 180,
        legend: { show: true, live: false },
        scales: {
          x: { time: true },
          y: yRange ? { range: yRange } : { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] },
        },
        axes: [
          { label: 'time', stroke: '#3d4753', grid: { stroke: '#e6e9ee' } },
          {
            label: yLabel,
            stroke: '#3d4753',
            grid: { stroke: '#e6e9ee' },
            values: (_u, ticks) => ticks.map((t) => fmt(t)),
            size: 60,
          },
        ],
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            dash: s.reference ? [6, 4] : undefined,
            spanGaps: false,
            points: { show: !s.reference },
          })),
        ],
      },
      [xs, ...series.map((s) => s.values)],
      el,
    );
    const resize = () => plot.setSize({ width: Math.max(280, el.clientWidth), height: 180 });
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [times, series, yLabel, yRange, hasData]);
  const shown = series.filter((s) => !s.reference);
  return (
    <figure className="chart" aria-labelledby={`${id}-title`} data-chart={id}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      {hasData ? <div ref={box} aria-hidden="true" /> : <p className="muted small empty-chart">{empty}</p>}
      <details>
        <summary>Values</summary>
        <div className="table-wrap">
          <table>
            <caption className="sr-only">{title}</caption>
            <thead>
              <tr>
                <th scope="col">Bucket start</th>
                {shown.map((s) => (
                  <th key={s.label} scope="col">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {times.map((t, i) => (
                <tr key={t}>
                  <td>{new Date(t).toLocaleString()}</td>
                  {shown.map((s) => (
                    <td key={s.label} data-series={s.label} data-bucket={t} data-value={s.values[i] ?? ''}>
                      {s.values[i] === null ? '—' : s.format(s.values[i])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
