/** A live chart of the new release against its baseline (uPlot: small, fast, canvas). */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { clockSeconds, dateTimeSeconds } from './dates.ts';

export interface LiveChart {
  readonly el: HTMLElement;
  push(at: number, value: number | null, baseline: number | null): void;
}

export function liveChart(title: string, unit: string, width: number): LiveChart {
  const el = document.createElement('figure');
  el.className = 'chart';
  // Shown from the first measurement on; an empty chart only confuses.
  el.hidden = true;
  const data: [number[], (number | null)[], (number | null)[]] = [[], [], []];
  const plot = new uPlot(
    {
      title,
      width,
      height: 180,
      scales: { x: { time: true } },
      // The reader's locale and time zone, as everywhere on the page (uPlot's own are US English).
      axes: [
        { values: (_u, ticks) => ticks.map((t) => clockSeconds(t * 1000)) },
        { values: (_u, ticks) => ticks.map((t) => `${t}${unit}`) },
      ],
      series: [
        { value: (_u, t) => (t == null ? '—' : dateTimeSeconds(t * 1000)) },
        { label: 'new release', stroke: '#c2410c', width: 2 },
        { label: 'baseline', stroke: '#1d4ed8', width: 2, dash: [6, 4] },
      ],
    },
    data,
    el,
  );
  return {
    el,
    push(at, value, baseline) {
      el.hidden = false;
      data[0].push(at / 1000);
      data[1].push(value);
      data[2].push(baseline);
      plot.setData(data, false);
      // Left to itself uPlot stretches one point over years; show at least a minute.
      const first = data[0][0] as number;
      const last = data[0].at(-1) as number;
      const pad = Math.max(0, 60 - (last - first)) / 2;
      plot.setScale('x', { min: first - pad, max: last + pad });
    },
  };
}
