// A small seeded generator (mulberry32) for reproducible data: the reports' seed and the segment
// tests' random customers and rules. A failure can be replayed from its seed.
export function random(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const chance = (p: number): boolean => next() < p;
  /** One of the keys, in proportion to its weight. */
  const weighted = <K extends string>(weights: Record<K, number>): K => {
    const entries = Object.entries(weights) as [K, number][];
    let roll = next() * entries.reduce((s, [, w]) => s + w, 0);
    for (const [k, w] of entries) { roll -= w; if (roll < 0) return k; }
    return entries[entries.length - 1]![0];
  };
  return { next, int, pick, chance, weighted };
}

export type Random = ReturnType<typeof random>;
