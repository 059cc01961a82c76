//! Snapshots: a copy of a run without its trace, and restoring one on the same line, so that a
//! round can seek back and forth (see `Round::seek`).

use super::{Actor, Checker, Engine, Traced};

impl<A: Actor, C: Checker<A::Note>> Engine<A, C> {
    /// A copy of the run as it stands, without its trace (a snapshot only needs the trace's
    /// length: the history before it is the same on the run it is restored into) and without a
    /// streamed trace's writer: for seeking within a round (see `Round::seek`). Its own
    /// [`Engine::trace`] is empty.
    pub fn snapshot(&self) -> Self
    where
        C: Clone,
    {
        Engine {
            now: self.now,
            config: self.config.clone(),
            rng: self.rng.clone(),
            actors: self.actors.clone(),
            faults: self.faults.clone(),
            drop_next: self.drop_next.clone(),
            duplicate_next: self.duplicate_next.clone(),
            in_flight: self.in_flight.clone(),
            next_msg_id: self.next_msg_id,
            queue: self.queue.clone(),
            next_seq: self.next_seq,
            timers: self.timers.clone(),
            scheduled: self.scheduled.clone(),
            pending_scheduled: self.pending_scheduled,
            trace: Vec::new(),
            trace_len: self.trace_len,
            stream: None,
            last_action_at: self.last_action_at,
            events_processed: self.events_processed,
            stats: self.stats,
            checker: self.checker.clone(),
            violations: self.violations.clone(),
            effects: Vec::new(),
            pacing: self.pacing.clone(),
        }
    }

    /// Continues from `snapshot`, a snapshot of this run's line (earlier or later than now):
    /// the trace keeps its first `snapshot`'s-length entries and everything kept beyond them. A
    /// snapshot whose history this run does not hold (taken further along than this line's
    /// furthest point) is refused and nothing changes.
    pub fn restore(&mut self, snapshot: &Self) -> Result<(), String>
    where
        C: Clone,
    {
        if self.stream.is_some() {
            return Err("a run whose trace streams out cannot be restored".into());
        }
        if self.config.record_trace && snapshot.trace_len > self.trace.len() {
            return Err(format!(
                "the snapshot is {} trace events along; this run holds {}",
                snapshot.trace_len,
                self.trace.len()
            ));
        }
        let trace = std::mem::take(&mut self.trace);
        *self = snapshot.snapshot();
        self.trace = trace;
        Ok(())
    }

    /// Drops the kept trace beyond now: the line changed here (a player's move), so what came
    /// next last time no longer will.
    pub fn forget_kept_trace(&mut self) {
        self.trace.truncate(self.trace_len);
    }

    /// The trace with what is kept beyond now (see [`Engine::restore`]): what happens next on this
    /// line, as far as it was run before.
    pub fn kept_trace(&self) -> &[Traced<A>] {
        &self.trace
    }
}
