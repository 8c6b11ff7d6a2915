/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, and the
 * share of time by area (node internals, the router, GC, idle).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export function summarizeProfile(path: string, top = 15): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byNode.get(id)?.callFrame;
    if (!frame) continue;
    const file = frame.url.replace(/^.*\/(src|node_modules)\//, '$1/').replace(/^node:/, 'node:');
    const key = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + 1);
    const area =
      frame.functionName === '(idle)'
        ? 'idle'
        : frame.functionName === '(garbage collector)'
          ? 'gc'
          : frame.url.startsWith('node:')
            ? 'node internals'
            : frame.url.includes('/src/')
              ? 'slipway router'
              : frame.url === ''
                ? 'native/V8'
                : 'other';
    areas.set(area, (areas.get(area) ?? 0) + 1);
  }
  const total = profile.samples.length || 1;
  const pct = (n: number) => `${((n / total) * 100).toFixed(1)}%`;
  const lines = [`cpu profile ${path.split('/').pop()}: ${total} samples`];
  lines.push(
    `  by area: ${[...areas]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${pct(v)}`)
      .join(', ')}`,
  );
  for (const [key, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`  ${pct(n).padStart(6)}  ${key}`);
  return lines.join('\n');
}

if (process.argv[1] === new URL(import.meta.url).pathname && process.argv[2]) {
  console.log(summarizeProfile(process.argv[2]));
}
