//! The network player's pacing: the player is the network. A message waits on its link until the
//! player delivers it, drops it or delivers a copy of it; a timer waits until the player fires
//! it; time moves only when the player acts. "Let the network run" hands both back to the timed
//! network (delays and the seed) until the player holds them again. Handlers draw their numbers
//! from the node's state, as in scripted runs and the model checker, so the checker's search from
//! any moment of such a run is a search of the run itself.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::pacing::Pacing;
use super::scheduler::Due;
use super::{Action, ActionError, Actor, Checker, Engine, EngineConfig, MsgId, NodeId};

impl<A: Actor, C: Checker<A::Note>> Engine<A, C> {
    /// A cluster whose network is the player: nothing arrives and no timer fires until the
    /// player's [`Action::Deliver`] and [`Action::Fire`] (or [`Action::Network`] lets it run).
    /// Scheduled actions still apply at their ticks.
    pub fn network_player(actors: Vec<A>, checker: C, config: EngineConfig) -> Self {
        let pacing = Pacing::Player {
            running: false,
            timers_due: BTreeMap::new(),
        };
        let mut sim = Self::unstarted(actors, checker, config, pacing);
        sim.start_nodes();
        sim
    }

    /// In a network player's run, whether the network runs by itself for now (`Some(false)`:
    /// it waits for the player); `None` in any other run.
    pub fn network_running(&self) -> Option<bool> {
        match self.pacing {
            Pacing::Player { running, .. } => Some(running),
            Pacing::Timed | Pacing::Scripted(_) => None,
        }
    }

    /// The timers `node` has armed, in the order armed: [`Action::Fire`]'s `timer` counts them.
    pub fn armed_timers(&self, node: NodeId) -> impl Iterator<Item = &A::Timer> {
        self.timers[node].iter().map(|(timer, _)| timer)
    }

    /// The checks of a network player's move that depend on the moment.
    pub(super) fn validate_network_move(&self, action: &Action) -> Result<(), ActionError> {
        let Some(running) = self.network_running() else {
            return Err(ActionError::NotNetworkPlayer);
        };
        match *action {
            Action::Deliver { message, .. } if !self.in_flight.contains_key(&message) => {
                Err(ActionError::UnknownMessage(message))
            }
            Action::Fire { node, timer } if timer >= self.timers[node].len() => {
                Err(ActionError::NoTimer { node, timer })
            }
            Action::Network { run } if run == running => Err(ActionError::NetworkAlready(run)),
            _ => Ok(()),
        }
    }

    /// Delivers message `message` now (lost instead if doomed, cut off or its receiver is
    /// down, as on arrival); with `copy`, a copy of it, leaving it waiting.
    pub(super) fn deliver_now(&mut self, message: MsgId, copy: bool) {
        let id = match copy {
            true => {
                let id = self.next_msg_id;
                self.copy(message, self.now);
                id
            }
            false => message,
        };
        // A queued arrival of it (the network ran) finds it gone.
        self.arrive(id);
    }

    /// Fires the `index`-th timer `node` has armed, now.
    pub(super) fn fire_now(&mut self, node: NodeId, index: usize) {
        if let Some(&(_, seq)) = self.timers[node].get(index) {
            self.fire_timer(node, seq);
        }
    }

    /// Lets the network run by itself (`run`): every waiting message arrives when the network
    /// timed it when it was sent, every armed timer fires when it was due (at once, for moments
    /// already past). Or holds them for the player again: queued arrivals and timers leave the
    /// queue, and the timers keep when they were due.
    pub(super) fn let_network_run(&mut self, run: bool) {
        let Pacing::Player {
            running,
            timers_due,
        } = &mut self.pacing
        else {
            return;
        };
        *running = run;
        let now = self.now;
        if run {
            let due = std::mem::take(timers_due);
            let waiting: Vec<(MsgId, u64)> =
                self.in_flight.values().map(|m| (m.id, m.arrives)).collect();
            for (id, at) in waiting {
                self.push_due(at.max(now), Due::Arrival(id));
            }
            for node in 0..self.timers.len() {
                for k in 0..self.timers[node].len() {
                    let at = due.get(&self.timers[node][k].1).copied().unwrap_or(now);
                    let seq = self.push_due(at.max(now), Due::Timer(node));
                    self.timers[node][k].1 = seq;
                }
            }
        } else {
            let armed: Vec<u64> = self.timers.iter().flatten().map(|(_, s)| *s).collect();
            let mut kept = BTreeMap::new();
            for Reverse((tick, seq, due)) in std::mem::take(&mut self.queue).into_vec() {
                match due {
                    Due::Arrival(_) => {}
                    Due::Timer(_) => {
                        if armed.contains(&seq) {
                            kept.insert(seq, tick);
                        }
                    }
                    other => self.queue.push(Reverse((tick, seq, other))),
                }
            }
            *timers_due = kept;
        }
    }
}
