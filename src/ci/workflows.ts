/**
 * The CI files `slipway ci init` writes: a GitHub Actions workflow or a .gitlab-ci.yml that
 * builds, tests (writing JUnit XML), registers the release with its test report through the
 * server (only SLIPWAY_URL and SLIPWAY_TOKEN, kept as CI secrets/variables) and deploys it to
 * staging. Text templates rather than a YAML document built in code, so the comments that tell
 * a user what to change stay in the file. Tested against the published schemas of both formats.
 */

export const CI_PROVIDERS = ['github', 'gitlab'] as const;
export type CiProvider = (typeof CI_PROVIDERS)[number];

export const CI_FILES: Readonly<Record<CiProvider, string>> = {
  github: '.github/workflows/slipway.yml',
  gitlab: '.gitlab-ci.yml',
};

export interface WorkflowOptions {
  /** The environment the pipeline deploys to (slipway.yaml's first one, usually staging). */
  readonly env: string;
  /** The folder that is the release, relative to the repository root. */
  readonly path: string;
  /** The branch whose pushes deploy. */
  readonly branch: string;
}

// node --test writes JUnit with its own reporter; any runner that writes JUnit XML will do.
const TEST =
  'node --test --test-reporter=spec --test-reporter-destination=stdout --test-reporter=junit --test-reporter-destination=junit.xml';

/** Quoted for YAML and the shell alike: the values are checked names (no quotes in them). */
const q = (text: string): string => `'${text}'`;

export function githubWorkflow(o: WorkflowOptions): string {
  return `# Written by \`slipway ci init github\`. Needs two repository secrets: SLIPWAY_URL (the
# slipway server) and SLIPWAY_TOKEN (a deployer token: \`slipway token create --user ci\`).
name: slipway
on:
  push:
    branches: [${q(o.branch)}]
permissions:
  contents: read
concurrency:
  group: slipway-${o.env}
  cancel-in-progress: false
jobs:
  release:
    runs-on: ubuntu-latest
    env:
      SLIPWAY_URL: \${{ secrets.SLIPWAY_URL }}
      SLIPWAY_TOKEN: \${{ secrets.SLIPWAY_TOKEN }}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 24
      - name: Build
        run: npm ci && npm run build --if-present
      # The tests write junit.xml; failing tests do not stop the job here, so the release is
      # registered with its report (and CI failed: slipway will not promote it).
      - name: Test
        id: test
        continue-on-error: true
        run: ${TEST}
      - name: Register the release with its test report
        run: npx slipway release create --version "\${{ github.run_number }}.\${{ github.run_attempt }}" --commit "\${{ github.sha }}" --ci-report junit.xml ${q(o.path)}
      - name: Deploy to ${o.env}
        if: steps.test.outcome == 'success'
        run: npx slipway deploy "\${{ github.run_number }}.\${{ github.run_attempt }}" --env ${q(o.env)}
      - name: Fail the job when the tests failed
        if: steps.test.outcome != 'success'
        run: exit 1
`;
}

export function gitlabPipeline(o: WorkflowOptions): string {
  return `# Written by \`slipway ci init gitlab\`. Needs two CI/CD variables (masked): SLIPWAY_URL (the
# slipway server) and SLIPWAY_TOKEN (a deployer token: \`slipway token create --user ci\`).
stages: [test, release, deploy]
default:
  image: node:24
test:
  stage: test
  script:
    - npm ci
    - npm run build --if-present
    - ${TEST}
  artifacts:
    when: always
    paths: [junit.xml]
    reports:
      junit: junit.xml
  rules:
    - if: $CI_COMMIT_BRANCH == ${q(o.branch)}
# Runs when the tests failed too: the release is registered with its report and CI failed, so
# slipway will not promote it.
release:
  stage: release
  needs: [test]
  script:
    - npm ci
    - npm run build --if-present
    - npx slipway release create --version "$CI_PIPELINE_IID" --commit "$CI_COMMIT_SHA" --ci-report junit.xml ${q(o.path)}
  rules:
    - if: $CI_COMMIT_BRANCH == ${q(o.branch)}
      when: always
deploy:
  stage: deploy
  needs: [test, release]
  script:
    - npm ci
    - npx slipway deploy "$CI_PIPELINE_IID" --env ${q(o.env)}
  environment:
    name: ${o.env}
  rules:
    - if: $CI_COMMIT_BRANCH == ${q(o.branch)}
`;
}

export const WORKFLOWS: Readonly<Record<CiProvider, (o: WorkflowOptions) => string>> = {
  github: githubWorkflow,
  gitlab: gitlabPipeline,
};
