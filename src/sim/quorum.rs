//! Quorums: how many nodes make a majority. Here, below every protocol and the chaos adversary,
//! because both count majorities and neither may import the other.

/// How many nodes make a majority of `n`.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_majority_is_the_smallest_count_above_half() {
        // Two majorities always share a node, and no smaller count would do (even sizes too).
        for n in 1..=12 {
            let m = majority(n);
            assert!(2 * m > n && 2 * (m - 1) <= n, "{m} of {n}");
        }
    }
}
