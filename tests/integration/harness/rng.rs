//! The one random source of the tests: xorshift64 (Marsaglia's 13/7/17 shifts), seeded,
//! so a fuzz loop draws the same cases on every run and a failure reproduces.

/// A seeded xorshift64 generator.
pub struct Rng {
    /// The generator's whole state; never zero (zero would stay zero).
    state: u64,
}

impl Rng {
    /// A generator starting from `seed`, which must not be zero.
    pub fn new(seed: u64) -> Rng {
        assert_ne!(seed, 0, "xorshift64 needs a non-zero seed");
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// An element of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}
