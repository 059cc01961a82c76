//! The one source of randomness in a run: ChaCha8, seeded, identical on every platform.
//!
//! Range sampling is done here rather than through `rand::Rng` so that the mapping from the
//! generator's output to a value never depends on a library version or on `usize`'s width.

use std::hash::{Hash, Hasher};

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use super::{FNV_OFFSET, NodeId, fnv1a64};

#[derive(Clone, Debug)]
pub struct SimRng(ChaCha8Rng);

impl SimRng {
    /// A generator for `seed`; different `stream`s of one seed are independent sequences.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        SimRng(rng)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// The generator one handler of `node` draws from in a scripted run and in the model checker:
    /// seeded from the node's state, so that the same state draws the same numbers on both sides
    /// (and on every platform), whichever path led to it.
    pub fn for_state(seed: u64, node: NodeId, state: &impl Hash) -> Self {
        let mut hasher = StableHasher(FNV_OFFSET);
        state.hash(&mut hasher);
        SimRng::new(seed ^ hasher.finish(), node as u64)
    }

    /// Uniform in `0..n` (n > 0), unbiased (Lemire's multiply-and-reject).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        loop {
            let product = u128::from(self.next_u64()) * u128::from(n);
            let low = product as u64;
            if low >= n.wrapping_neg() % n {
                return (product >> 64) as u64;
            }
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        debug_assert!(lo <= hi);
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// A uniformly chosen index into a collection of `len` items.
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }
}

/// FNV-1a over a value's `Hash` input, with every integer written as 8 little-endian bytes so
/// that the result is the same on 64-bit native and 32-bit wasm.
struct StableHasher(u64);

impl Hasher for StableHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fnv1a64(self.0, bytes);
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.write(&i.to_le_bytes());
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.write_u64(i as i64 as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PINNED: [u64; 3] = [12_578_764_544_318_200_737, 950, 7];

    #[test]
    fn same_seed_same_sequence_and_streams_differ() {
        let a: Vec<u64> = (0..8)
            .map({
                let mut r = SimRng::new(7, 0);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..8)
            .map({
                let mut r = SimRng::new(7, 0);
                move |_| r.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..8)
            .map({
                let mut r = SimRng::new(7, 1);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn known_values_pin_the_algorithm() {
        // Recorded seeds, replays and shared links depend on these exact numbers on every platform
        // (native and wasm32). If this fails, the generator or the sampling changed.
        let mut r = SimRng::new(42, 0);
        let drawn: Vec<u64> = vec![r.next_u64(), r.below(1000), r.between(5, 9)];
        assert_eq!(drawn, PINNED);
    }

    #[test]
    fn a_state_seeds_the_same_generator_every_time_and_states_differ() {
        let draw =
            |state: &(u32, Option<usize>), node| SimRng::for_state(3, node, state).next_u64();
        assert_eq!(draw(&(1, Some(2)), 0), draw(&(1, Some(2)), 0));
        assert_ne!(draw(&(1, Some(2)), 0), draw(&(1, Some(3)), 0));
        assert_ne!(
            draw(&(1, Some(2)), 0),
            draw(&(1, Some(2)), 1),
            "nodes differ"
        );
        // Pinned like the generator itself: saved counterexample scenarios replay through it.
        assert_eq!(draw(&(1, Some(2)), 0), 17_688_188_020_519_887_582);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = SimRng::new(1, 0);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let v = r.below(7);
            assert!(v < 7);
            seen[v as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
        for _ in 0..1000 {
            let v = r.between(10, 12);
            assert!((10..=12).contains(&v));
        }
    }
}
