/** Succeeded and failed changes per week as side-by-side bars (uPlot, as the live charts). */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { weekStart } from './dates.ts';

export function weekBars(
  weeks: readonly { week: string; deployments: number; failed: number }[],
  width: number,
): HTMLElement {
  const el = document.createElement('figure');
  el.className = 'chart dora-weeks';
  const x = weeks.map((w) => Date.parse(`${w.week}T00:00:00Z`) / 1000);
  const bars = (align: -1 | 1) => uPlot.paths.bars?.({ size: [0.4, 40], align });
  new uPlot(
    {
      title: 'Changes per week',
      width,
      height: 220,
      scales: { x: { time: false, range: (_u, min, max) => [min - 302_400, max + 302_400] } },
      // Week starts in the reader's locale (UTC dates: a week is a UTC week).
      axes: [
        {
          values: (_u, ticks) =>
            ticks.map((t) => (x.includes(t) ? weekStart(new Date(t * 1000).toISOString().slice(0, 10)) : '')),
          splits: () => x,
        },
        { values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? t.toLocaleString() : '')) },
      ],
      series: [
        { value: (_u, t) => (t == null ? '—' : weekStart(new Date(t * 1000).toISOString().slice(0, 10))) },
        { label: 'succeeded', fill: '#15803d', stroke: '#15803d', paths: bars(-1), points: { show: false } },
        { label: 'failed', fill: '#b91c1c', stroke: '#b91c1c', paths: bars(1), points: { show: false } },
      ],
    },
    [x, weeks.map((w) => w.deployments), weeks.map((w) => w.failed)],
    el,
  );
  return el;
}
