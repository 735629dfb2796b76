/** A small bounded LRU: Map keeps insertion order, so re-inserting on hit makes the first key the oldest. */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: K, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }
  delete(k: K): void {
    this.map.delete(k);
  }
}

/** An LRU bounded by the summed weight (e.g. bytes) of its entries; an entry heavier than the budget is not kept. */
export class WeightedLru<K, V> {
  private readonly map = new Map<K, { v: V; w: number }>();
  private total = 0;
  constructor(private readonly budget: number) {}
  get(k: K): V | undefined {
    const e = this.map.get(k);
    if (e === undefined) return undefined;
    this.map.delete(k);
    this.map.set(k, e);
    return e.v;
  }
  /** False when the entry alone exceeds the budget (it is then not kept). */
  set(k: K, v: V, weight: number): boolean {
    this.delete(k);
    if (weight > this.budget) return false;
    this.map.set(k, { v, w: weight });
    this.total += weight;
    for (const [oldest, e] of this.map) {
      if (this.total <= this.budget) break;
      this.map.delete(oldest);
      this.total -= e.w;
    }
    return true;
  }
  delete(k: K): void {
    const e = this.map.get(k);
    if (e === undefined) return;
    this.map.delete(k);
    this.total -= e.w;
  }
  get weight(): number {
    return this.total;
  }
}
