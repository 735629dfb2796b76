/**
 * Copying objects on the hot path. Node 20's V8 (11.3) gives every object built as `{ ...base, key }`
 * (a literal that starts with a spread and goes on) a hidden class of its own once the code is
 * optimized: each such object costs ~1 µs per member after the spread, allocates its own map, and
 * makes every later read of it megamorphic (a 21-field memory record took 18 µs, and a search built
 * ten). A literal that names its members first and spreads last, or Object.assign onto `{}`, shares
 * one hidden class and costs a tenth. test/object-literals.test.ts keeps the first form out of src/.
 */

/** `{ ...base, ...fields }`: a copy of base with fields set over it (fields win). */
export function overlay<A extends object, B extends object>(base: A, fields: B): Omit<A, keyof B> & B {
  return Object.assign({}, base, fields);
}
