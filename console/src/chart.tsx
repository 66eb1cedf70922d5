/** A small hand-drawn SVG bar chart: no chart library in the bundle. */
export function BarChart({ title, points, format }: { title: string; points: { label: string; value: number | null }[]; format: (v: number) => string }) {
  const w = 600;
  const h = 160;
  const pad = 24;
  const max = Math.max(1, ...points.map((p) => p.value ?? 0));
  const bw = (w - pad) / Math.max(1, points.length);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${title}: peak ${format(max)}`} preserveAspectRatio="none">
        <line x1={pad} y1={h - pad} x2={w} y2={h - pad} className="axis" />
        <text x={0} y={12} className="tick">{format(max)}</text>
        {points.map((p, i) => {
          const bh = p.value ? ((h - 2 * pad) * p.value) / max : 0;
          return (
            <rect key={i} x={pad + i * bw + 1} y={h - pad - bh} width={Math.max(1, bw - 2)} height={bh} className="bar">
              <title>{`${p.label}: ${p.value === null ? '—' : format(p.value)}`}</title>
            </rect>
          );
        })}
        {points.length > 0 && <text x={pad} y={h - 6} className="tick">{points[0].label}</text>}
        {points.length > 1 && <text x={w} y={h - 6} textAnchor="end" className="tick">{points[points.length - 1].label}</text>}
      </svg>
    </figure>
  );
}
