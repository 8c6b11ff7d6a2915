/**
 * `slipway ci init github|gitlab`: the files it writes validate against the published JSON
 * Schemas of those formats (stored whole in test/fixtures/ci-schemas/, their source in the README
 * there), run the release with its JUnit report through SLIPWAY_URL/SLIPWAY_TOKEN, and
 * an existing file is kept unless --force.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const CONFIG = `app: shop
run:
  command: node server.js
environments:
  staging: {}
  production:
    after: staging
`;

function validator(name: string) {
  // strict off: the published schemas use keywords ajv does not define (markdownDescription).
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const schema = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/ci-schemas', name), 'utf8'));
  return ajv.compile(schema);
}

describe('slipway ci init', () => {
  const dir = tempDir('slipway-ci-init-');
  before(() => writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG));
  after(() => dir.cleanup());

  test('github: a workflow valid against SchemaStore’s github-workflow.json', async () => {
    const r = await cli(dir.path, 'ci', 'init', 'github', '--path', 'dist');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^wrote \.github\/workflows\/slipway\.yml: .*deploy to staging\n/);
    const text = readFileSync(join(dir.path, '.github/workflows/slipway.yml'), 'utf8');
    const doc = parse(text);
    const validate = validator('github-workflow.json');
    assert.equal(validate(doc), true, JSON.stringify(validate.errors, null, 2));
    const steps = doc.jobs.release.steps as { run?: string; if?: string }[];
    // Only the two secrets reach the job: the GitHub expression syntax, not a value.
    const secret = (name: string) => `\${{ secrets.${name} }}`;
    assert.deepEqual(doc.jobs.release.env, {
      SLIPWAY_URL: secret('SLIPWAY_URL'),
      SLIPWAY_TOKEN: secret('SLIPWAY_TOKEN'),
    });
    assert.ok(
      steps.some((s) => /--test-reporter=junit --test-reporter-destination=junit\.xml/.test(s.run ?? '')),
    );
    assert.ok(steps.some((s) => /slipway release create .*--ci-report junit\.xml 'dist'$/.test(s.run ?? '')));
    const deploy = steps.find((s) => /slipway deploy .* --env 'staging'$/.test(s.run ?? ''));
    assert.equal(deploy?.if, "steps.test.outcome == 'success'");
    // The schema can fail: a job without runs-on is refused.
    delete doc.jobs.release['runs-on'];
    assert.equal(validate(doc), false);
  });

  test('gitlab: a pipeline valid against GitLab’s CI schema', async () => {
    const r = await cli(dir.path, 'ci', 'init', 'gitlab', '--env', 'staging', '--branch', 'trunk');
    assert.equal(r.code, 0, r.stderr);
    const doc = parse(readFileSync(join(dir.path, '.gitlab-ci.yml'), 'utf8'));
    const validate = validator('gitlab-ci.json');
    assert.equal(validate(doc), true, JSON.stringify(validate.errors, null, 2));
    assert.deepEqual(doc.test.artifacts.reports, { junit: 'junit.xml' });
    assert.match(doc.release.script.at(-1), /slipway release create .*--ci-report junit\.xml '\.'$/);
    assert.deepEqual(doc.release.rules, [{ if: "$CI_COMMIT_BRANCH == 'trunk'", when: 'always' }]);
    assert.deepEqual(doc.deploy.environment, { name: 'staging' });
    doc.deploy.when = 'sometimes';
    assert.equal(validate(doc), false);
  });

  test('an existing file is kept unless --force; unknown environment or provider is refused', async () => {
    const file = join(dir.path, '.gitlab-ci.yml');
    writeFileSync(file, '# mine\n');
    const kept = await cli(dir.path, 'ci', 'init', 'gitlab');
    assert.equal(kept.code, 3);
    assert.match(kept.stderr, /CI_FILE_EXISTS.*\.gitlab-ci\.yml exists already; .*--force/);
    assert.equal(readFileSync(file, 'utf8'), '# mine\n');
    const forced = await cli(dir.path, 'ci', 'init', 'gitlab', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(readFileSync(file, 'utf8'), /^# Written by `slipway ci init gitlab`/);
    const env = await cli(dir.path, 'ci', 'init', 'github', '--env', 'qa', '--force');
    assert.equal(env.code, 2);
    assert.match(env.stderr, /ENV_NOT_FOUND.*--env qa: .*it has staging, production/);
    const provider = await cli(dir.path, 'ci', 'init', 'jenkins');
    assert.equal(provider.code, 2);
    const path = await cli(dir.path, 'ci', 'init', 'github', '--path', "a'b", '--force');
    assert.equal(path.code, 2);
    assert.match(path.stderr, /--path "a'b": expected letters/);
  });
});
