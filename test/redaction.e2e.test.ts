/**
 * Issue 7 end to end on the process runtime: releases are folders, instances are processes, their
 * logs are files under .slipway/agent/runtime/ (the body: test/redaction-suite.ts).
 */
import { folderRelease, redactionSuite } from './redaction-suite.ts';

redactionSuite('secrets through a real deployment: exact environments, zero leaks', {
  skip: false,
  setup: async () => 'command: node server.js',
  release: (h, version, files) => folderRelease(h, version, files),
  appLog: /agent\/runtime\/.*\.log(\.\d+)?$/,
  scansReleaseFiles: true,
  teardown: async () => undefined,
});
