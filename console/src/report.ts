// Reading the journey report: who is at each step now, of the version drawn.
import type { JourneyReport } from './types';

/** Customers at each step now, of one version (the newest anyone is on when none is given). */
export function placesNow(report: JourneyReport, version?: number): Map<string, number> {
  const shown = version ?? Math.max(0, ...report.now.steps.map((s) => s.version));
  return new Map(report.now.steps.filter((s) => s.version === shown).map((s) => [s.stepId, s.customers]));
}
