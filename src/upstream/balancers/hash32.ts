// 32-bit hashes for rendezvous hashing. FNV-1a folds the key to 32 bits cheaply (UTF-16 code units,
// no encoding or allocation); it mixes poorly on its own, so every score goes through a seeded
// murmur3 round with full avalanche, which makes the scores of different endpoints independent.

/** FNV-1a over the string's UTF-16 code units. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** murmur3_32 of the single 32-bit block `k` with seed `seed`: unsigned. */
export function murmur32(k: number, seed: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let h = seed ^ k;
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) ^ 4; // ^ length in bytes
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
