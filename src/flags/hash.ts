/**
 * The hash behind `fractional`: MurmurHash3 x86 32-bit, seed 0, over the UTF-8 bytes of the
 * bucketing string, as flagd (Go) hashes `[]byte(flagKey + targetingKey)`.
 */
import murmurhash from 'murmurhash';

const utf8 = new TextEncoder();
/** Reused for every hash: encoding into it allocates nothing (grown for long keys). */
let scratch = new Uint8Array(512);

/** MurmurHash3 x86_32 (seed 0) of the string's UTF-8 bytes, as an unsigned 32-bit integer. */
export function murmur3(text: string): number {
  // A UTF-16 code unit is at most 3 UTF-8 bytes.
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3);
  const { written } = utf8.encodeInto(text, scratch);
  return murmurhash.v3(scratch.subarray(0, written), 0);
}

/** Largest total weight for which `hash * total` is exact in a double (2^21 · 2^32 = 2^53). */
const EXACT_TOTAL = 2 ** 21;

/**
 * The bucket a hash falls in among `total` weight units: ⌊hash · total / 2^32⌋, flagd's arithmetic.
 * Done in doubles when exact, in BigInt otherwise, so both give the same integer.
 */
export function bucketOf(hash: number, total: number): number {
  if (total <= EXACT_TOTAL) return Math.floor((hash * total) / 4_294_967_296);
  return Number((BigInt(hash) * BigInt(total)) >> 32n);
}
