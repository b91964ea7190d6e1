// The health report as start-up publishes it for the /api/health route.
//
// One per process (process-singleton.ts), like the database and the scheduler: Next evaluates a
// Pages Router route's modules apart from instrumentation's, so a route importing
// health-report.ts would evaluate its whole graph (backups, schedule, offsite, replication,
// Prisma's client) a second time on the first request, ~90 ms of every start here. Start-up has
// evaluated it already; the route imports only this file and the report's type.
import { processSingleton } from "../process-singleton";
import type { HealthReport } from "./health-report";

type ReportFunction = (requestId: string) => Promise<HealthReport>;
type Published = { report: ReportFunction | null };
const published = () => processSingleton<Published>("health-report", () => ({ report: null }));

export function publishHealthReport(report: ReportFunction): void {
  published().report = report;
}

/** The report, or null before start-up has published it (Next waits for start-up; a guard). */
export function publishedHealthReport(requestId: string): Promise<HealthReport> | null {
  return published().report?.(requestId) ?? null;
}
