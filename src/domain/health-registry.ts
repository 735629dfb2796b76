/**
 * Serving status per health-checked service name, with change notification for Watch streams.
 * Pure state: whoever observes the database (or shuts down) calls set(); nothing here does I/O.
 */

export type ServingStatus = "SERVING" | "NOT_SERVING";

type Listener = (status: ServingStatus) => void;

export class HealthRegistry {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private frozen = false;

  /** Registers names with an initial status. */
  register(names: Iterable<string>, status: ServingStatus): void {
    for (const name of names) this.set(name, status);
  }

  get(name: string): ServingStatus | undefined {
    return this.statuses.get(name);
  }

  names(): string[] {
    return [...this.statuses.keys()];
  }

  set(name: string, status: ServingStatus): void {
    if (this.frozen) return;
    if (this.statuses.get(name) === status) return;
    this.statuses.set(name, status);
    for (const listener of this.listeners.get(name) ?? []) listener(status);
  }

  /** Shutdown: every name goes NOT_SERVING for good, whatever the database does next. */
  shutdown(): void {
    for (const name of this.statuses.keys()) this.set(name, "NOT_SERVING");
    this.frozen = true;
    for (const name of this.listeners.keys()) this.listeners.get(name)?.forEach((l) => l("NOT_SERVING"));
  }

  get shuttingDown(): boolean {
    return this.frozen;
  }

  /** Calls listener on every change of name's status until the returned function is called. */
  subscribe(name: string, listener: Listener): () => void {
    const set = this.listeners.get(name) ?? new Set<Listener>();
    this.listeners.set(name, set);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(name);
    };
  }
}
