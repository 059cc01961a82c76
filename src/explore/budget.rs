//! What a search may spend: time, memory, a number of states, and an interruption from outside
//! (Ctrl-C). The first limit reached stops the search, which then reports what it explored and
//! why it is incomplete.
//!
//! Memory is measured, not estimated: every [`MEASURE_EVERY`] states the process's resident size
//! (and, under an address-space limit such as `ulimit -v`, its virtual size) is read from
//! `/proc/self/status`. Breadth-first search grows about 100 MB/s, so between two readings it
//! grows by well under a megabyte.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Why a search stopped before exploring every state within its bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Incomplete {
    /// A counterexample was found; the search stops at the first.
    Violation,
    /// `--timeout` passed.
    Timeout,
    /// `--max-states` states were generated.
    MaxStates,
    /// The process reached its memory budget (`--max-memory`, or a share of the machine's).
    Memory,
    /// Ctrl-C or SIGTERM.
    Interrupted,
}

impl Incomplete {
    const ALL: [Incomplete; 5] = [
        Incomplete::Violation,
        Incomplete::Timeout,
        Incomplete::MaxStates,
        Incomplete::Memory,
        Incomplete::Interrupted,
    ];
}

/// How many generated states between two readings of the process's memory.
pub const MEASURE_EVERY: usize = 1024;

/// The share of an address-space limit (`ulimit -v`) the search may fill: the rest is room for
/// a hash table or queue that doubles between two readings, and for the report.
const ADDRESS_SPACE_SHARE: f64 = 0.7;

/// A search's limits and what it has spent against them; shared by the checker's threads.
#[derive(Debug)]
pub struct Budget {
    deadline: Option<Instant>,
    max_states: Option<usize>,
    /// Resident bytes the process may reach.
    max_memory: Option<u64>,
    /// Virtual bytes the process may reach (from an address-space limit).
    max_address_space: Option<u64>,
    /// Set from outside (a signal handler) to stop the search.
    stop: Option<&'static AtomicBool>,
    generated: AtomicUsize,
    /// 0 while within budget, else 1 + the index of the [`Incomplete`] reason.
    stopped: AtomicU8,
}

thread_local! {
    /// Set on the thread that rebuilds a report's paths, while the search's own threads may
    /// still be draining.
    static REBUILDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// While alive, [`Budget::draining`] is false on this thread.
pub struct Rebuilding(());

impl Drop for Rebuilding {
    fn drop(&mut self) {
        REBUILDING.set(false);
    }
}

impl Budget {
    pub fn new(
        started: Instant,
        timeout: Option<Duration>,
        max_states: Option<usize>,
        max_memory: Option<u64>,
        stop: Option<&'static AtomicBool>,
    ) -> Budget {
        Budget {
            deadline: timeout.map(|timeout| started + timeout),
            max_states,
            max_memory,
            max_address_space: address_space_limit()
                .map(|limit| (limit as f64 * ADDRESS_SPACE_SHARE) as u64),
            stop,
            generated: AtomicUsize::new(0),
            stopped: AtomicU8::new(0),
        }
    }

    /// A budget of states and an interruption only, for where there is no clock (the browser).
    pub fn counting(max_states: Option<usize>, stop: Option<&'static AtomicBool>) -> Budget {
        Budget {
            deadline: None,
            max_states,
            max_memory: None,
            max_address_space: None,
            stop,
            generated: AtomicUsize::new(0),
            stopped: AtomicU8::new(0),
        }
    }

    /// Counts one more generated state and says whether the search must stop. Once it must,
    /// it must for good: every later call says so at once.
    pub fn spend_one(&self) -> bool {
        if self.exhausted() {
            return true;
        }
        let generated = self.generated.fetch_add(1, Ordering::Relaxed);
        let reason = if self.stop.is_some_and(|stop| stop.load(Ordering::Relaxed)) {
            Some(Incomplete::Interrupted)
        } else if self.max_states.is_some_and(|max| generated >= max) {
            Some(Incomplete::MaxStates)
        } else if self
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            Some(Incomplete::Timeout)
        } else if generated.is_multiple_of(MEASURE_EVERY) && self.over_memory() {
            Some(Incomplete::Memory)
        } else {
            None
        };
        match reason {
            Some(reason) => {
                self.stop_for(reason);
                true
            }
            None => false,
        }
    }

    /// Whether the search has stopped: from then on it only drains what it had queued.
    pub fn exhausted(&self) -> bool {
        self.stopped.load(Ordering::Relaxed) != 0
    }

    /// Whether the search is out of budget and still running: queued states are then dropped
    /// unexpanded.
    pub fn draining(&self) -> bool {
        self.exhausted() && !REBUILDING.get()
    }

    /// Lets this thread expand states again, to rebuild the report's paths by replaying their
    /// steps, until the guard is dropped.
    pub fn rebuilding_paths(&self) -> Rebuilding {
        REBUILDING.set(true);
        Rebuilding(())
    }

    /// Records why the search stopped (the first reason wins).
    pub fn stop_for(&self, reason: Incomplete) {
        let code = Incomplete::ALL
            .iter()
            .position(|r| *r == reason)
            .unwrap_or(0) as u8
            + 1;
        let _ = self
            .stopped
            .compare_exchange(0, code, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Why the search stopped early, if it did.
    pub fn reason(&self) -> Option<Incomplete> {
        let code = self.stopped.load(Ordering::Relaxed);
        code.checked_sub(1)
            .and_then(|index| Incomplete::ALL.get(usize::from(index)).copied())
    }

    fn over_memory(&self) -> bool {
        let Some(usage) = Usage::now() else {
            return false;
        };
        self.max_memory.is_some_and(|max| usage.resident >= max)
            || self
                .max_address_space
                .is_some_and(|max| usage.virtual_size >= max)
    }
}

/// The process's memory, in bytes.
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    pub resident: u64,
    pub virtual_size: u64,
}

impl Usage {
    /// Read from `/proc/self/status` (Linux); `None` elsewhere.
    pub fn now() -> Option<Usage> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        Some(Usage {
            resident: kib_field(&status, "VmRSS:")?,
            virtual_size: kib_field(&status, "VmSize:")?,
        })
    }
}

/// `VmRSS:     1234 kB` as bytes.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.starts_with(name))?;
    let kib: u64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// The memory budget `check` uses unless told otherwise: half of the machine's memory (or of
/// its cgroup's limit, when lower). `None` where neither can be read.
pub fn default_max_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let total = meminfo.as_deref().and_then(|m| kib_field(m, "MemTotal:"));
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok());
    let machine = match (total, cgroup) {
        (Some(total), Some(cgroup)) => total.min(cgroup),
        (one, other) => one.or(other)?,
    };
    Some(machine / 2)
}

/// The soft address-space limit (`ulimit -v`, RLIMIT_AS) in bytes, if one is set: read from
/// `/proc/self/limits`, which needs no system-call binding.
pub fn address_space_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max address space"))?;
    line["Max address space".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_reason_to_stop_is_kept() {
        let budget = Budget::new(Instant::now(), None, Some(2), None, None);
        assert!(!budget.spend_one());
        assert!(!budget.spend_one());
        assert!(budget.spend_one());
        budget.stop_for(Incomplete::Timeout);
        assert_eq!(budget.reason(), Some(Incomplete::MaxStates));
        assert!(budget.spend_one(), "once stopped, stopped for good");
    }

    #[test]
    fn a_memory_budget_below_the_process_size_stops_at_once() {
        if Usage::now().is_none() {
            return; // not Linux
        }
        let budget = Budget::new(Instant::now(), None, None, Some(1), None);
        assert!(budget.spend_one(), "the first state is measured");
        assert_eq!(budget.reason(), Some(Incomplete::Memory));
        let roomy = Budget::new(Instant::now(), None, None, Some(u64::MAX), None);
        assert!(!roomy.spend_one());
    }

    #[test]
    fn the_interrupt_flag_stops_the_search() {
        static STOP: AtomicBool = AtomicBool::new(false);
        let budget = Budget::new(Instant::now(), None, None, None, Some(&STOP));
        assert!(!budget.spend_one());
        STOP.store(true, Ordering::Relaxed);
        assert!(budget.spend_one());
        assert_eq!(budget.reason(), Some(Incomplete::Interrupted));
    }

    #[test]
    fn proc_fields_are_read_as_bytes() {
        let status = "Name:\tx\nVmSize:\t  2048 kB\nVmRSS:\t    16 kB\n";
        assert_eq!(kib_field(status, "VmRSS:"), Some(16 * 1024));
        assert_eq!(kib_field(status, "VmSize:"), Some(2 * 1024 * 1024));
        assert_eq!(kib_field(status, "VmSwap:"), None);
    }
}
