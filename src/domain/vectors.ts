/**
 * Vectors for semantic search (DESIGN.md §6 "Vectors"), pure: their byte encoding (float32 little
 * endian, what is encrypted), validation, and the exact cosine top-k over an owner's index.
 */

/** float32 LE bytes of a vector (the plaintext that is encrypted; never stored or logged as is). */
export function encodeVector(v: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(v.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i]!, true);
  return out;
}

export function decodeVector(bytes: Uint8Array): Float32Array {
  if (bytes.length % 4 !== 0) throw new RangeError("a vector is a whole number of float32 values");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Why a vector is unusable, or undefined: the right length, finite, not all zeros. */
export function vectorProblem(v: ArrayLike<number>, dims: number): string | undefined {
  if (dims <= 0) return "vectors are not enabled on this server";
  if (v.length !== dims) return `must have ${dims} numbers, got ${v.length}`;
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x) || Math.abs(x) > 3.4e38) return "must contain finite numbers only";
    norm += x * x;
  }
  return norm > 0 ? undefined : "must not be all zeros";
}

/** A unit-length float32 copy (cosine similarity is then a dot product). */
function normalized(v: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * inv;
  return out;
}

/** An owner's ready vectors, unit length, packed row by row: row i is memory ids[i]. */
export interface VectorIndex {
  dims: number;
  ids: string[];
  data: Float32Array;
}

export function buildIndex(dims: number, rows: ReadonlyArray<{ id: string; vector: ArrayLike<number> }>): VectorIndex {
  const data = new Float32Array(rows.length * dims);
  rows.forEach((r, i) => data.set(normalized(r.vector), i * dims));
  return { dims, ids: rows.map((r) => r.id), data };
}

/** Bytes an index holds (its cache weight): the floats plus about 64 bytes per id. */
export function indexBytes(index: VectorIndex): number {
  return index.data.byteLength + index.ids.length * 64;
}

export interface DenseHit {
  id: string;
  /** Cosine similarity, in [-1, 1]. */
  similarity: number;
}

/**
 * Exact cosine top-k (the index and the query are unit length), best first, ties by id. A bounded
 * min-heap keeps it O(n·dims + n·log k).
 */
export function topK(index: VectorIndex, query: ArrayLike<number>, k: number): DenseHit[] {
  const q = normalized(query);
  const { dims, data, ids } = index;
  if (q.length !== dims || k <= 0) return [];
  const heapS: number[] = [];
  const heapI: number[] = [];
  const less = (a: number, b: number) =>
    heapS[a]! < heapS[b]! || (heapS[a] === heapS[b] && ids[heapI[a]!]! < ids[heapI[b]!]!);
  const swap = (a: number, b: number) => {
    [heapS[a], heapS[b]] = [heapS[b]!, heapS[a]!];
    [heapI[a], heapI[b]] = [heapI[b]!, heapI[a]!];
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heapS.length && less(l, m)) m = l;
      if (r < heapS.length && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let row = 0; row < ids.length; row++) {
    let s = 0;
    const off = row * dims;
    for (let j = 0; j < dims; j++) s += data[off + j]! * q[j]!;
    if (heapS.length < k) {
      heapS.push(s);
      heapI.push(row);
      for (let i = heapS.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (!less(i, p)) break;
        swap(i, p);
        i = p;
      }
    } else if (s > heapS[0]!) {
      heapS[0] = s;
      heapI[0] = row;
      down(0);
    }
  }
  return heapI
    .map((row, i) => ({ id: ids[row]!, similarity: heapS[i]! }))
    .sort((a, b) => b.similarity - a.similarity || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Relevance of a hybrid search: the lexical (calibrated BM25) relevance and the dense similarity
 * (cosine, negatives as 0) mixed by denseWeight. A memory outside the dense candidates counts 0.
 */
export function fusedRelevance(lexical: number, dense: number, denseWeight: number): number {
  return (1 - denseWeight) * lexical + denseWeight * Math.min(Math.max(dense, 0), 1);
}
