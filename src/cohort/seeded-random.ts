import { createHash } from 'node:crypto';

/**
 * A repeatable stream of numbers in [0, 1) from a seed: SHA-256 of the seed and a counter, 48 bits a
 * draw. The same seed gives the same stream on every machine and Node version, which is what lets a
 * target selection be repeated from the journal.
 */
export function seededRandom(seed: string | number): () => number {
  const text = String(seed);
  let counter = 0;
  return () => {
    const digest = createHash('sha256').update(text).update('\u0000').update(String(counter++)).digest();
    return digest.readUIntBE(0, 6) / 2 ** 48;
  };
}

/** An integer in [min, max], both inclusive. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Fisher-Yates shuffle of a copy. */
export function seededShuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(random, 0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
