// GET /dashboard (the live page) and GET /dashboard/data (the sampler's ring as JSON) on the
// admin listener. The page is one HTML file imported as text, so `bun build --compile` embeds it
// in the binary and nothing is read from disk or fetched from a CDN at run time.

import pageHtml from "./page.html" with { type: "text" };
import type { DashboardData } from "../../observe/series/dashboard-data.ts";

// bun-types declares *.html as an HTML bundle; with type "text" Bun hands over the file's text.
const PAGE = pageHtml as unknown as string;

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  // Everything is inline; nothing else may load (no CDN, no frames).
  "content-security-policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
};
const DATA_HEADERS = { "content-type": "application/json", "cache-control": "no-store" };

/** What the routes read: the StatsSampler. */
export interface DashboardSource {
  data(): DashboardData;
}

/** The document the page polls (a workers' supervisor combines its workers' ones). */
export const DASHBOARD_DATA_PATH = "/dashboard/data";
const isPagePath = (path: string) => path === "/dashboard" || path === "/dashboard/";

/** Whether dashboardRoutes answers `path` (a workers' supervisor forwards these paths to a worker). */
export function isDashboardPath(path: string): boolean {
  return isPagePath(path) || path === DASHBOARD_DATA_PATH;
}

/** null = not a dashboard path (the caller answers 404 or tries its other routes). */
export type DashboardRoutes = (path: string) => Response | null;

export function dashboardRoutes(source: DashboardSource): DashboardRoutes {
  return (path) => {
    if (isPagePath(path)) return new Response(PAGE, { headers: PAGE_HEADERS });
    if (path === DASHBOARD_DATA_PATH) return new Response(JSON.stringify(source.data()), { headers: DATA_HEADERS });
    return null;
  };
}
