/**
 * Analysis from a real Prometheus: Debian's `prometheus` scrapes the slipway agent's `/metrics`
 * (the builtin router's per-release counters and latency histogram; the scrape sends the agent's
 * bearer token from agent.token), and a canary whose slipway.yaml says
 * `metrics: { provider: prometheus, url }` is judged from PromQL over Prometheus' HTTP API. A new
 * release answering 10% of requests with 500 is rolled back on the error-rate rule.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningPrometheus, startPrometheus } from '../analysis/metrics/prometheus/testing.ts';
import { hasBinary, serviceSkip } from '../testing.ts';
import { BuiltinRouter } from '../traffic/builtin/router.ts';
import { composedEngine, type Harness, startHarness, startLoad } from './testing.ts';

const skip = serviceSkip('prometheus', hasBinary('prometheus'), 'apt-get install prometheus');

/** How many instant queries Prometheus has answered, from its own metrics. */
async function queriesAnswered(prom: RunningPrometheus): Promise<number> {
  const text = await (await fetch(`${prom.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('prometheus_http_requests_total{code="200",handler="/api/v1/query"}'));
  return Number(line?.split(' ').at(-1) ?? 0);
}

describe('canary analysis from a real Prometheus scraping the agent', { skip }, () => {
  let h: Harness;
  let prom: RunningPrometheus;
  before(async () => {
    h = await startHarness(new BuiltinRouter());
    prom = await startPrometheus({
      targets: [new URL(h.agentUrl).host],
      scrapeIntervalS: 1,
      bearerTokenFile: join(h.dataDir, 'agent', 'agent.token'),
    });
  });
  after(async () => {
    await prom?.stop();
    await h?.close();
  });

  test('a 10% error fault in the canary is seen in Prometheus and rolled back', async () => {
    const { executor, deploy } = await composedEngine(
      h,
      `app: shop
run: { command: node server.js, instances: 1, health: { interval: 200ms, timeout: 200ms, startTimeout: 15s }, stopTimeout: 2s }
environments:
  production:
    profile: fast
    metrics: { provider: prometheus, url: "${prom.url}" }
    strategy: { canary: { steps: [{ weight: 50, analysis: { duration: 5s } }, { weight: 100 }] } }
`,
      1000,
    );
    const first = await deploy('production', '1.0.0');
    assert.equal((await executor.run(first.id)).status, 'succeeded');
    const port = (await h.agent.status('production')).listen.port;
    const load = startLoad({
      url: `http://127.0.0.1:${port}/api/products`,
      workers: 4,
      gapMs: 10,
      maxMs: 90_000,
    });
    try {
      // The agent's /metrics, as Prometheus sees it: scraped with the token, the stable release's series present.
      let up: string | undefined;
      for (let i = 0; i < 75 && up !== '1'; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 200));
        const body = (await (await fetch(`${prom.url}/api/v1/query?query=up`)).json()) as {
          data: { result: { value: [number, string] }[] };
        };
        up = body.data.result[0]?.value[1];
      }
      assert.equal(up, '1', 'Prometheus scrapes the agent with its token');
      const before = await queriesAnswered(prom);
      const bad = await deploy('production', '2.0.0', { errorRate: 0.1 });
      const done = await executor.run(bad.id);
      assert.equal(done.status, 'rolled_back', done.reason ?? '');
      assert.match(done.reason ?? '', /error.rate/i);
      assert.ok((await queriesAnswered(prom)) > before, 'the verdict came from PromQL queries');
      assert.deepEqual(
        (await h.agent.status('production')).releases.map((r) => [r.release, r.weight]),
        [[first.releaseId, 100]],
      );
      const outcome = (done.state as { engine: { outcome: { rule?: string; observed?: number } } }).engine
        .outcome;
      console.log(`prometheus verdict: ${JSON.stringify(outcome)}`);
      // The fixed trigger or one of the sequential tests beside it, whichever decides first.
      assert.match(outcome.rule ?? '', /^error-rate(-sequential|-vs-stable)?$/);

      // A healthy release passes the same analysis (a shorter step: the judge needs no more).
      const good = await deploy('production', '3.0.0');
      const passed = await executor.run(good.id);
      assert.equal(passed.status, 'succeeded', passed.reason ?? '');
    } finally {
      await load.stop();
    }
  });

  test("the agent's own metrics: refused without its token, scraped by Prometheus with it", async () => {
    assert.equal((await fetch(`${h.agentUrl}/metrics`)).status, 401);
    const token = readFileSync(join(h.dataDir, 'agent', 'agent.token'), 'utf8').trim();
    const text = await (
      await fetch(`${h.agentUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    ).text();
    const live = (await h.agent.status('production')).releases[0];
    assert.ok(live);
    // prom-client's series and the router's per release, in one exposition.
    assert.match(
      text,
      new RegExp(
        `^slipway_agent_instances\\{env="production",release="${live.release}",state="healthy"\\} 1$`,
        'm',
      ),
    );
    assert.match(
      text,
      new RegExp(`^slipway_agent_release_weight\\{env="production",release="${live.release}"\\} 100$`, 'm'),
    );
    assert.match(text, /^slipway_agent_env_healthy\{env="production"\} 1$/m);
    assert.match(text, /^slipway_agent_admin_requests_total\{method="GET",status="401"\} 1$/m);
    assert.match(text, /^slipway_agent_process_resident_memory_bytes \d+/m);
    assert.match(
      text,
      new RegExp(
        `^slipway_requests_total\\{env="production",release="${live.release}",code_class="2xx"\\} \\d+`,
        'm',
      ),
    );
    // The same from Prometheus' side: instance health and errors per release, as a panel asks.
    const ask = async (q: string) => {
      for (let i = 0; i < 75; i++) {
        const body = (await (
          await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`)
        ).json()) as {
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        };
        if (body.data.result.length > 0) return body.data.result;
        await new Promise((r) => setTimeout(r, 200));
      }
      return [];
    };
    // The live release only: a release the last deployment took out may still be in the latest scrape.
    const healthy = await ask(
      `slipway_agent_instances{env="production",release="${live.release}",state="healthy"} > 0`,
    );
    assert.deepEqual(
      healthy.map((r) => [r.metric.release, r.value[1]]),
      [[live.release, '1']],
    );
    const errors = await ask('sum by (release) (slipway_requests_total{env="production",code_class="5xx"})');
    assert.ok(errors.length >= 1, 'the rolled-back release answered 500s, seen per release');
  });
});
