export interface Series {
  label: string;
  colour: string;
  points: number[];
}

const escapeXml = (s: string) =>
  s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** A plain SVG line chart: one line per series over numbered windows, y from 0. */
export function lineChartSvg(
  title: string,
  yLabel: string,
  series: Series[],
  markers: Array<{ x: number; label: string }> = [],
): string {
  const width = 760;
  const height = 360;
  const pad = { left: 60, right: 20, top: 40, bottom: 70 };
  const n = Math.max(...series.map((s) => s.points.length));
  const yMax = Math.max(1, ...series.flatMap((s) => s.points)) * 1.1;
  const x = (i: number) => pad.left + (n <= 1 ? 0 : (i / (n - 1)) * (width - pad.left - pad.right));
  const y = (v: number) => height - pad.bottom - (v / yMax) * (height - pad.top - pad.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = (yMax / 4) * k;
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${pad.left - 8}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  for (let i = 0; i < n; i++) {
    if (n <= 12 || i % Math.ceil(n / 12) === 0 || i === n - 1) {
      parts.push(`<text x="${x(i)}" y="${height - pad.bottom + 16}" text-anchor="middle">${i + 1}</text>`);
    }
  }
  parts.push(`<text x="${width / 2}" y="${height - pad.bottom + 34}" text-anchor="middle">window</text>`);
  parts.push(
    `<text transform="translate(16 ${(height - pad.bottom + pad.top) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
  );
  for (const m of markers) {
    parts.push(
      `<line x1="${x(m.x - 1)}" x2="${x(m.x - 1)}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#999" stroke-dasharray="4 3"/>`,
    );
    parts.push(
      `<text x="${x(m.x - 1) + 3}" y="${pad.top + 10}" fill="#666" font-size="10">${escapeXml(m.label)}</text>`,
    );
  }
  series.forEach((s, k) => {
    const d = s.points.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2.5"/>`);
    const lx = pad.left + k * 260;
    parts.push(`<rect x="${lx}" y="${height - 22}" width="14" height="4" fill="${s.colour}"/>`);
    parts.push(`<text x="${lx + 20}" y="${height - 17}">${escapeXml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
