/** A background job started with the server and stopped (awaited) on shutdown. */
export interface BackgroundJob {
  stop(): Promise<void>;
}
