//! Pacing: how the scheduler times a run's events, its one strategy. The scheduler keeps the
//! queue, the network, the faults and the trace; it asks the pacing three things, here and only
//! here: which generator a handler draws from, whether an armed timer is queued, and when a
//! message just sent arrives.
//!
//! - **Timed** (the default): delays, jitter and the seed decide, as a real network would.
//! - **Scripted**: a script names every event in order (see [`script`](super::script)).
//! - **Player**: the player is the network (see [`player`](super::player)): a message waits on
//!   its link until delivered, dropped or copied, a timer until fired; or, while the player lets
//!   the network run, as timed.

use std::collections::BTreeMap;

use super::scheduler::Due;
use super::script::ScriptRun;
use super::{Actor, Checker, Engine, MsgId, NodeId, SimRng, Tick};

#[derive(Clone, Debug)]
pub(super) enum Pacing {
    Timed,
    Scripted(ScriptRun),
    /// The network player's: `running` while the player lets the network run; `timers_due`,
    /// when each timer armed while held (by its arming's sequence number) would have fired, so
    /// that letting the network run fires it then (or at once, if that moment has passed).
    Player {
        running: bool,
        timers_due: BTreeMap<u64, Tick>,
    },
}

impl Pacing {
    /// The script and where it stands, in a scripted run.
    pub(super) fn script(&self) -> Option<&ScriptRun> {
        match self {
            Pacing::Scripted(run) => Some(run),
            Pacing::Timed | Pacing::Player { .. } => None,
        }
    }

    pub(super) fn script_mut(&mut self) -> Option<&mut ScriptRun> {
        match self {
            Pacing::Scripted(run) => Some(run),
            Pacing::Timed | Pacing::Player { .. } => None,
        }
    }

    /// Whether messages and timers wait for the network player (not while it lets them run).
    pub(super) fn held(&self) -> bool {
        matches!(self, Pacing::Player { running: false, .. })
    }
}

impl<A: Actor, C: Checker<A::Note>> Engine<A, C> {
    /// The generator a handler of `node` draws from, when not the run's own: a scripted run
    /// draws as the model checker does, from the node's state, so a node picks the values the
    /// checker saw.
    pub(super) fn own_rng(&self, node: NodeId) -> Option<SimRng> {
        match self.pacing {
            Pacing::Timed => None,
            // The network player's runs draw as the checker does too, so that "can this still
            // break?" searches the very run the player is playing.
            Pacing::Scripted(_) | Pacing::Player { .. } => Some(SimRng::for_state(
                self.config.seed,
                node,
                &self.actors[node],
            )),
        }
    }

    /// Arms a timer of `node` due at `at`; returns the sequence number that identifies this
    /// arming. In a scripted run only a script step fires a timer, in a held network player's
    /// run only the player: armed, but not queued.
    pub(super) fn arm_timer(&mut self, node: NodeId, at: Tick) -> u64 {
        match &mut self.pacing {
            Pacing::Timed | Pacing::Player { running: true, .. } => {
                self.push_due(at, Due::Timer(node))
            }
            Pacing::Player {
                running: false,
                timers_due,
            } => {
                timers_due.insert(self.next_seq, at);
                self.next_seq += 1;
                self.next_seq - 1
            }
            Pacing::Scripted(_) => {
                self.next_seq += 1;
                self.next_seq - 1
            }
        }
    }

    /// Queues the arrival of message `id` at `at`, unless it waits for the network player.
    pub(super) fn queue_arrival(&mut self, id: MsgId, at: Tick) {
        if !self.pacing.held() {
            self.push_due(at, Due::Arrival(id));
        }
    }

    /// Puts a message on the wire, arriving when the pacing says.
    pub(super) fn send(&mut self, from: NodeId, to: NodeId, msg: A::Msg) {
        match self.pacing {
            // Held, a message is timed as the network would time it, and waits on its link.
            Pacing::Timed | Pacing::Player { .. } => self.send_timed(from, to, msg),
            Pacing::Scripted(_) => self.send_scripted(from, to, msg),
        }
    }

    /// A timed send: the base delay plus jitter from the seed, stretched by a slowed end; an
    /// armed `drop_next` dooms it halfway, an armed `duplicate_next` sends a trailing copy.
    fn send_timed(&mut self, from: NodeId, to: NodeId, msg: A::Msg) {
        let net = self.config.net;
        let slowest = self
            .faults
            .slow_factor(from)
            .max(self.faults.slow_factor(to));
        let delay = net
            .base_delay
            .saturating_add(self.rng.below(net.jitter.saturating_add(1)))
            .saturating_mul(u64::from(slowest));
        let doomed = std::mem::replace(&mut self.drop_next[from], false);
        let arrives = if doomed {
            self.now.saturating_add(delay / 2)
        } else {
            self.now.saturating_add(delay)
        };
        let id = self.next_msg_id;
        self.next_msg_id += 1;
        self.put_on_wire(id, from, to, arrives, doomed, msg);
        self.queue_arrival(id, arrives);
        if let Some(trailing) = self.duplicate_next[from].take() {
            // The copy trails the whole trip, even when the original is doomed to die halfway.
            self.copy(id, self.now + delay + trailing);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Cx, EngineConfig, NetConfig, Violation};
    use super::*;

    /// Each node draws one number when it starts and keeps it.
    #[derive(Clone, Debug, Hash, Default)]
    struct Draw(Option<u64>);

    impl Actor for Draw {
        type Msg = ();
        type Timer = ();
        type Note = ();
        fn on_start(&mut self, cx: &mut Cx<'_, Self>) {
            self.0 = Some(cx.rng.below(1_000_000));
        }
        fn on_message(&mut self, _: NodeId, _: (), _: &mut Cx<'_, Self>) {}
        fn on_timer(&mut self, _: (), _: &mut Cx<'_, Self>) {}
        fn on_crash(&mut self) {}
    }

    #[derive(Clone)]
    struct Nothing;
    impl Checker<()> for Nothing {
        fn observe(&mut self, _: Tick, _: NodeId, _: &(), _: &mut Vec<Violation>) {}
    }

    fn config() -> EngineConfig {
        EngineConfig {
            seed: 7,
            net: NetConfig {
                base_delay: 10,
                jitter: 5,
            },
            max_down: 1,
            record_trace: false,
        }
    }

    #[test]
    fn a_timed_run_draws_from_its_seed_and_a_scripted_one_from_each_node_state() {
        let drawn = |sim: &Engine<Draw, Nothing>| -> Vec<u64> {
            sim.actors().iter().map(|a| a.0.unwrap()).collect()
        };
        let timed = Engine::new(vec![Draw::default(); 2], Nothing, config());
        let mut seeded = SimRng::new(7, 0);
        let in_turn = vec![seeded.below(1_000_000), seeded.below(1_000_000)];
        assert_eq!(drawn(&timed), in_turn, "one generator, drawn in turn");

        let scripted = Engine::scripted(vec![Draw::default(); 2], Nothing, config(), Vec::new());
        let by_state: Vec<u64> = (0..2)
            .map(|node| SimRng::for_state(7, node, &Draw::default()).below(1_000_000))
            .collect();
        assert_eq!(
            drawn(&scripted),
            by_state,
            "as the model checker draws: from the node and its state"
        );
        assert_ne!(by_state, in_turn);
    }
}
