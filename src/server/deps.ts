/**
 * Kept for the modules that still import from here (the auth and audit handlers, the CLI): the
 * definitions live in app-context.ts.
 */
export type { AppContext as AppDeps, BackgroundJob } from "../app-context.js";
