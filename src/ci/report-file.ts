/** Reading `--ci-report FILE` from disk, before anything is registered. */
import { readFile, stat } from 'node:fs/promises';
import { AppError } from '../domain/errors.ts';
import type { TestReport } from '../domain/types.ts';
import { checkReportIdentity, parseJUnit, reportIdentity } from './junit.ts';

/** Large suites write a few MB; far beyond is not a test report. */
const MAX_BYTES = 64 * 1024 * 1024;

export async function readJUnitFile(
  file: string,
  shownAs = file,
  registering?: { version: string; commit?: string | undefined },
): Promise<TestReport> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile())
    throw new AppError(
      'FILE_NOT_FOUND',
      `--ci-report ${shownAs}: no such file; give the JUnit XML file your tests wrote`,
    );
  if (info.size > MAX_BYTES)
    throw new AppError(
      'CI_REPORT_INVALID',
      `--ci-report ${shownAs}: ${info.size} bytes, over ${MAX_BYTES}; is it a test report?`,
    );
  const xml = await readFile(file, 'utf8');
  const report = parseJUnit(xml, shownAs);
  if (registering) checkReportIdentity(reportIdentity(xml), registering, `--ci-report ${shownAs}`);
  return report;
}
