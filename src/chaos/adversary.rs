//! The adversary: chaos that watches the run and strikes at its dangerous moments.
//!
//! Random faults spread over a run rarely land where consensus bugs live: between an accept and
//! the next phase 1, or while a ballot is in phase 2. The adversary sees each event before the
//! simulator processes it (as [`Upcoming`]: a message with its [`Aim`], a timer, an action) and
//! holds a few strikes drawn from the seed, each waiting for its moment:
//! - **forget**: once `accepts` receivers have handled commits from one sender, crash one or more
//!   of them (each recovers a few hops later) and split the sender, with the receivers that were
//!   not crashed, from everyone else. Everyone else is then a majority whose only link to what was
//!   accepted is the crashed nodes' durable state: the amnesia test.
//! - **depose**: cut a sender of commits off (or crash it) before any or after some of its commits
//!   land, so that another node starts a competing ballot while this one is in phase 2.
//! - **echo**: copy the next vote (a promise, an accepted) or commit, the copy arriving a little
//!   or a lot later.
//! - **flood**: for a while, copy every vote: a quorum counted in messages rather than in
//!   distinct senders is then reached by a minority (a partition's small side).
//! - **hold**: keep the votes (or commits) to one node on the wire until that node has moved to
//!   a later round (an open it sent after them arrives), then deliver them: the node, blind in
//!   its round, meets them in a later one, longer after than any copy or delay trails.
//!
//! Everything is drawn from the seed and depends only on the run, so a chaos run replays exactly.
//! The adversary also records which dangerous situations the run reached, for the chaos report.

use std::collections::{BTreeSet, VecDeque};

use crate::protocol::{Aim, AnyEngine, Setup, Strikes, Upcoming};
use crate::sim::quorum::majority;
use crate::sim::{Action, MsgId, NodeId, SimRng, Tick};

/// The names of the situations chaos counts (runs in which each occurred). Protocols add their
/// own (`two_values_proposed`) through [`Model::dangers`](crate::protocol::Model::dangers).
pub mod situation {
    /// A node crashed.
    pub const CRASH: &str = "crash";
    /// A node handled a commit (Paxos: accepted), crashed, and afterwards took part in a new
    /// round (received a prepare, or sent one that arrived): where a node that forgets does harm.
    pub const CRASH_BETWEEN_COMMIT_AND_OPEN: &str = "crash_between_commit_and_open";
    /// A copy made by the network reached its receiver.
    pub const DUPLICATE_DELIVERED: &str = "duplicate_delivered";
    pub const PARTITION: &str = "partition";
    pub const CUT: &str = "cut";
    /// A message was lost (dropped, cut off, or sent to a down node).
    pub const MESSAGE_LOST: &str = "message_lost";
    pub const SLOW: &str = "slow";
    /// A message overtook one sent before it to the same node (jitter at work).
    pub const REORDERED: &str = "reordered";
    /// A vote or commit reached its receiver after its sender or receiver had moved to a later
    /// round (the hold strike).
    pub const EARLIER_ROUND_DELIVERED: &str = "earlier_round_delivered";
}

/// The names of the fault kinds chaos counts (runs in which each took effect): the schedule's
/// (named as their actions) and the adversary's strikes.
pub mod fault {
    pub const CRASH: &str = "crash";
    pub const SLOW: &str = "slow";
    pub const CUT: &str = "cut";
    pub const PARTITION: &str = "partition";
    pub const DROP_NEXT: &str = "drop_next";
    pub const DUPLICATE_NEXT: &str = "duplicate_next";
    pub const PAUSE_CLIENTS: &str = "pause_clients";
    pub const FORGET: &str = "strike_forget";
    pub const DEPOSE: &str = "strike_depose";
    pub const ECHO: &str = "strike_echo";
    pub const FLOOD: &str = "strike_flood";
    pub const HOLD: &str = "strike_hold";
}

/// A fault waiting for its moment.
#[derive(Clone, Debug)]
struct Strike {
    /// It watches the run from this tick on.
    armed_at: Tick,
    kind: StrikeKind,
}

#[derive(Clone, Debug)]
enum StrikeKind {
    Forget { accepts: usize },
    Depose { accepts: usize, crash: bool },
    Echo { aim: Aim, delay: Tick },
    Flood { lasting: Tick },
    Hold { aim: Aim },
}

/// The hold strike at work: it keeps the votes (or commits) to one node on the wire, each
/// until its round is over for one of its ends, so that the node sees none of them in time and
/// meets them all in a later round.
#[derive(Clone, Debug)]
struct Hold {
    to: NodeId,
    aim: Aim,
    /// Messages to `to` of this aim are taken, until one of the held ones has moved on or
    /// `until`.
    taking: bool,
    /// Everything held is delivered then at the latest, moved on or not.
    until: Tick,
    held: Vec<Held>,
}

/// A message the hold keeps: it travels as a copy re-made every hop, the one before dropped.
#[derive(Clone, Debug)]
struct Held {
    /// The message as first sent: ids grow with every send, so a message with a larger one was
    /// sent after it.
    id: MsgId,
    from: NodeId,
    /// The tick the current copy arrives at.
    due: Tick,
    /// An open its receiver sent after it has arrived: the receiver is in a later round.
    moved_on: bool,
}

#[derive(Clone)]
pub struct Adversary {
    rng: SimRng,
    hop: Tick,
    /// The nodes that may be crashed and partitioned.
    targets: Vec<NodeId>,
    /// How many targets make a majority.
    majority: usize,
    strikes: VecDeque<Strike>,
    /// A flood copies every vote until this tick.
    flood_until: Tick,
    /// The sender whose commits the first strike is counting, and who has handled them.
    wave: Option<(NodeId, Vec<NodeId>)>,
    /// Per node: it handled a commit; it crashed after handling one.
    committed: Vec<bool>,
    crashed_after_commit: Vec<bool>,
    /// Per node, the newest message delivered to it (copies aside).
    newest_delivered: Vec<Option<MsgId>>,
    hold: Option<Hold>,
    seen: BTreeSet<&'static str>,
    /// The fault kinds that took effect (see [`fault`]).
    faults: BTreeSet<&'static str>,
    /// The protocol's own strikes (`Protocol::strikes`), asked after each step.
    own: Option<Box<dyn Strikes>>,
}

impl Adversary {
    /// The adversary of chaos run `setup`, its strikes drawn from the seed: none in a quarter of
    /// the runs (scheduled faults only), otherwise one or two.
    pub fn new(setup: &Setup) -> Adversary {
        let mut rng = SimRng::new(setup.seed, super::ADVERSARY_STREAM);
        let nodes = setup.cluster_size();
        let targets: Vec<NodeId> = (0..nodes).filter(|n| setup.is_target(*n)).collect();
        let majority = majority(targets.len());
        let hop = super::hop(setup);
        let count = match rng.below(100) {
            0..25 => 0,
            25..70 => 1,
            _ => 2,
        };
        // At most `majority - 1` other receivers: with the sender that makes a majority.
        let most = (majority - 1).max(1);
        let mut strikes: Vec<Strike> = (0..count)
            .map(|_| {
                let armed_at = rng.below(hop * 12);
                let kind = match rng.below(100) {
                    0..30 => StrikeKind::Forget {
                        // Mostly exactly enough for the value to be chosen.
                        accepts: if rng.chance(600) {
                            most
                        } else {
                            rng.between(1, most as u64) as usize
                        },
                    },
                    30..55 => StrikeKind::Depose {
                        // Half the time before any commit lands: two values get proposed.
                        accepts: if rng.chance(500) {
                            0
                        } else {
                            rng.between(1, most as u64) as usize
                        },
                        crash: rng.chance(400),
                    },
                    55..65 => StrikeKind::Echo {
                        aim: Aim::Vote,
                        delay: rng.below(hop * 3),
                    },
                    65..77 => StrikeKind::Flood {
                        lasting: hop * rng.between(10, 60),
                    },
                    77..88 => StrikeKind::Hold {
                        aim: if rng.chance(500) {
                            Aim::Vote
                        } else {
                            Aim::Commit
                        },
                    },
                    _ => StrikeKind::Echo {
                        aim: Aim::Commit,
                        delay: rng.between(hop, hop * 20),
                    },
                };
                Strike { armed_at, kind }
            })
            .collect();
        strikes.sort_by_key(|s| s.armed_at);
        Adversary {
            rng,
            hop,
            targets,
            majority,
            strikes: strikes.into(),
            flood_until: 0,
            wave: None,
            committed: vec![false; nodes],
            crashed_after_commit: vec![false; nodes],
            newest_delivered: vec![None; nodes],
            hold: None,
            seen: BTreeSet::new(),
            faults: BTreeSet::new(),
            own: setup.mode.strikes(setup),
        }
    }

    /// Processes the next event of `sim`, striking before or after it if its moment has come.
    /// Returns false when nothing is left to happen.
    pub fn step(&mut self, sim: &mut dyn AnyEngine) -> bool {
        let Some((tick, upcoming)) = sim.upcoming() else {
            return false;
        };
        self.before(tick, &upcoming, sim);
        let delivered = sim.stats().delivered;
        let down = sim.faults().down_count();
        if let Some(own) = &mut self.own {
            own.before(&*sim);
        }
        // The protocol's strikes come first: what they do counts as this step's (a crash).
        if sim.step_one()
            && let Some(own) = &mut self.own
        {
            own.after(sim);
        }
        let delivered = sim.stats().delivered > delivered;
        let crashed = sim.faults().down_count() > down;
        self.after(tick, &upcoming, delivered, crashed, sim);
        true
    }

    /// The situations this run reached (the protocol's own are added by the caller).
    pub fn situations(&self, sim: &dyn AnyEngine) -> Vec<&'static str> {
        let mut seen: Vec<&'static str> = self.seen.iter().copied().collect();
        if sim.stats().dropped > 0 {
            seen.push(situation::MESSAGE_LOST);
        }
        seen
    }

    /// The fault kinds that took effect in this run (see [`fault`]).
    pub fn faults(&self) -> Vec<&'static str> {
        self.faults.iter().copied().collect()
    }

    /// The first strike, if it is watching the run at `tick`.
    fn armed(&self, tick: Tick) -> Option<&StrikeKind> {
        self.strikes
            .front()
            .filter(|s| s.armed_at <= tick)
            .map(|s| &s.kind)
    }

    fn before(&mut self, tick: Tick, upcoming: &Upcoming, sim: &mut dyn AnyEngine) {
        if let Some(&StrikeKind::Flood { lasting }) = self.armed(tick) {
            self.strikes.pop_front();
            self.flood_until = tick + lasting;
            self.faults.insert(fault::FLOOD);
        }
        if self.keep_holding(tick, upcoming, sim) || self.take_to_hold(tick, upcoming, sim) {
            return;
        }
        let &Upcoming::Arrival {
            id,
            from,
            aim,
            copy: false,
            deliverable: true,
            ..
        } = upcoming
        else {
            return;
        };
        if aim == Aim::Vote && tick < self.flood_until {
            let delay = self.rng.below(self.hop);
            sim.apply(Action::Duplicate { message: id, delay }).ok();
            return;
        }
        match self.armed(tick) {
            Some(&StrikeKind::Echo { aim: wanted, delay }) if wanted == aim => {
                let copy = Action::Duplicate { message: id, delay };
                if sim.apply(copy).is_ok() {
                    self.strikes.pop_front();
                    self.faults.insert(fault::ECHO);
                }
            }
            Some(&StrikeKind::Depose { accepts: 0, crash }) if aim == Aim::Commit => {
                self.strikes.pop_front();
                self.depose(from, crash, sim);
            }
            Some(&StrikeKind::Hold { aim: wanted }) if wanted == aim && self.hold.is_none() => {
                let &Upcoming::Arrival { to, .. } = upcoming else {
                    return;
                };
                self.strikes.pop_front();
                self.faults.insert(fault::HOLD);
                self.hold = Some(Hold {
                    to,
                    aim,
                    taking: true,
                    until: tick + self.hop * self.rng.between(40, 120),
                    held: Vec::new(),
                });
                self.take_to_hold(tick, upcoming, sim);
            }
            _ => {}
        }
    }

    /// Keeps message `id`, arriving now, on the wire one hop more: a copy of it one hop later,
    /// and the message itself dropped. Returns whether it did.
    fn hold_on(&mut self, id: MsgId, sim: &mut dyn AnyEngine) -> bool {
        let copy = Action::Duplicate {
            message: id,
            delay: self.hop,
        };
        sim.apply(copy).is_ok() && sim.apply(Action::Drop { message: id }).is_ok()
    }

    /// If `upcoming` is a message the hold takes (a vote or commit to its node, while it is
    /// taking them): holds it, returning true.
    fn take_to_hold(&mut self, tick: Tick, upcoming: &Upcoming, sim: &mut dyn AnyEngine) -> bool {
        let (
            Some(hold),
            &Upcoming::Arrival {
                id,
                from,
                to,
                aim,
                copy: false,
                deliverable: true,
            },
        ) = (&self.hold, upcoming)
        else {
            return false;
        };
        if !(hold.taking && tick < hold.until && hold.to == to && hold.aim == aim) {
            return false;
        }
        if !self.hold_on(id, sim) {
            return false;
        }
        let due = tick + self.hop;
        if let Some(hold) = &mut self.hold {
            hold.held.push(Held {
                id,
                from,
                due,
                moved_on: false,
            });
        }
        true
    }

    /// If `upcoming` is a held message arriving: holds it one hop more (returning true), or,
    /// once its round is over for one of its ends (or the hold has lasted long enough), lets it
    /// arrive.
    fn keep_holding(&mut self, tick: Tick, upcoming: &Upcoming, sim: &mut dyn AnyEngine) -> bool {
        let (
            Some(hold),
            &Upcoming::Arrival {
                id,
                from,
                to,
                copy: true,
                ..
            },
        ) = (&self.hold, upcoming)
        else {
            return false;
        };
        let Some(index) =
            (hold.held.iter()).position(|h| (h.due, h.from, hold.to) == (tick, from, to))
        else {
            return false;
        };
        if hold.held[index].moved_on || tick >= hold.until {
            return false; // delivered now; `after` sees it land
        }
        let held = self.hold_on(id, sim);
        let next = tick + self.hop;
        if let Some(hold) = &mut self.hold {
            if held {
                hold.held[index].due = next;
            } else {
                hold.held.remove(index);
            }
        }
        held
    }

    /// After an event: a held message that arrived leaves the hold (reaching the situation if
    /// its round was over); an open sent after held messages ends their round.
    fn hold_after(&mut self, tick: Tick, upcoming: &Upcoming, delivered: bool) {
        let (
            Some(hold),
            &Upcoming::Arrival {
                id,
                from,
                to,
                aim,
                copy,
                ..
            },
        ) = (&mut self.hold, upcoming)
        else {
            return;
        };
        let arrived =
            (hold.held.iter()).position(|h| copy && (h.due, h.from, hold.to) == (tick, from, to));
        if let Some(index) = arrived {
            if delivered && hold.held[index].moved_on {
                self.seen.insert(situation::EARLIER_ROUND_DELIVERED);
            }
            hold.held.remove(index);
        } else if delivered && aim == Aim::Open && !copy && from == hold.to {
            // The receiver opened a round after these were sent: theirs is over for it. (An
            // open it merely receives may leave it in its own round, where they still count.)
            for held in hold.held.iter_mut().filter(|held| id > held.id) {
                held.moved_on = true;
                hold.taking = false;
            }
        }
        if tick >= hold.until {
            hold.taking = false;
        }
        if !hold.taking && hold.held.is_empty() {
            self.hold = None;
        }
    }

    fn after(
        &mut self,
        tick: Tick,
        upcoming: &Upcoming,
        delivered: bool,
        crashed: bool,
        sim: &mut dyn AnyEngine,
    ) {
        self.hold_after(tick, upcoming, delivered);
        match *upcoming {
            Upcoming::Arrival {
                id,
                from,
                to,
                aim,
                copy,
                ..
            } if delivered => {
                if copy {
                    self.seen.insert(situation::DUPLICATE_DELIVERED);
                } else {
                    let newest = &mut self.newest_delivered[to];
                    if newest.is_some_and(|newest| newest > id) {
                        self.seen.insert(situation::REORDERED);
                    } else {
                        *newest = Some(id);
                    }
                }
                match aim {
                    Aim::Commit => {
                        self.committed[to] = true;
                        self.count_commit(tick, from, to, sim);
                    }
                    Aim::Open
                        if self.crashed_after_commit[to] || self.crashed_after_commit[from] =>
                    {
                        self.seen.insert(situation::CRASH_BETWEEN_COMMIT_AND_OPEN);
                    }
                    _ => {}
                }
            }
            Upcoming::Action(Action::Kill { node }) if crashed => self.crashed(node),
            Upcoming::Action(Action::Partition { .. }) => {
                self.seen.insert(situation::PARTITION);
                self.faults.insert(fault::PARTITION);
            }
            Upcoming::Action(Action::Cut { .. }) => {
                self.seen.insert(situation::CUT);
                self.faults.insert(fault::CUT);
            }
            Upcoming::Action(Action::Slow { factor, .. }) if factor > 1 => {
                self.seen.insert(situation::SLOW);
                self.faults.insert(fault::SLOW);
            }
            Upcoming::Action(Action::DropNext { .. }) => {
                self.faults.insert(fault::DROP_NEXT);
            }
            Upcoming::Action(Action::DuplicateNext { .. }) => {
                self.faults.insert(fault::DUPLICATE_NEXT);
            }
            Upcoming::Action(Action::PauseClients) => {
                self.faults.insert(fault::PAUSE_CLIENTS);
            }
            _ => {}
        }
    }

    fn crashed(&mut self, node: NodeId) {
        self.seen.insert(situation::CRASH);
        self.faults.insert(fault::CRASH);
        if self.committed[node] {
            self.crashed_after_commit[node] = true;
        }
    }

    /// A commit from `from` reached `to`: the first strike may be counting them.
    fn count_commit(&mut self, tick: Tick, from: NodeId, to: NodeId, sim: &mut dyn AnyEngine) {
        let needed = match self.armed(tick) {
            Some(&StrikeKind::Forget { accepts }) => accepts,
            Some(&StrikeKind::Depose { accepts, .. }) if accepts > 0 => accepts,
            _ => return,
        };
        // A commit from another sender starts a new wave.
        let wave = match &mut self.wave {
            Some((leader, receivers)) if *leader == from => receivers,
            _ => &mut self.wave.insert((from, Vec::new())).1,
        };
        if !wave.contains(&to) {
            wave.push(to);
        }
        if wave.len() < needed {
            return;
        }
        let (leader, receivers) = self.wave.take().expect("counting a wave");
        match self.strikes.pop_front().map(|s| s.kind) {
            Some(StrikeKind::Forget { .. }) => {
                self.faults.insert(fault::FORGET);
                self.forget(leader, &receivers, sim)
            }
            Some(StrikeKind::Depose { crash, .. }) => self.depose(leader, crash, sim),
            _ => unreachable!("only forget and depose count commits"),
        }
    }

    /// Crashes enough of `receivers` (one at a time, each recovering a few hops later) that the
    /// targets outside `leader`'s side are a majority, and splits that side off until well after.
    fn forget(&mut self, leader: NodeId, receivers: &[NodeId], sim: &mut dyn AnyEngine) {
        let informed = |n: &NodeId| *n == leader || receivers.contains(n);
        let uninformed = self.targets.iter().filter(|n| !informed(n)).count();
        let victims = self
            .majority
            .saturating_sub(uninformed)
            .clamp(1, receivers.len());
        let (forgetful, faithful) = receivers.split_at(victims);
        let now = sim.now();
        let down_for = self.hop * self.rng.between(1, 3);
        for (index, &victim) in forgetful.iter().enumerate() {
            let kill_at = now + index as Tick * (down_for + 1);
            if index == 0 {
                if sim.apply(Action::Kill { node: victim }).is_ok() {
                    self.crashed(victim);
                } else {
                    continue;
                }
            } else {
                sim.schedule(kill_at, Action::Kill { node: victim });
            }
            sim.schedule(kill_at + down_for, Action::Recover { node: victim });
        }
        let side: Vec<NodeId> = self
            .targets
            .iter()
            .copied()
            .filter(|n| *n == leader || faithful.contains(n))
            .collect();
        let rest: Vec<NodeId> = self
            .targets
            .iter()
            .copied()
            .filter(|n| !side.contains(n))
            .collect();
        let crashes_over = victims as Tick * (down_for + 1);
        let heal_after = crashes_over + self.hop * self.rng.between(6, 40);
        self.split(vec![side, rest], now + heal_after, sim);
    }

    /// Cuts `leader` off from the other targets (or crashes it) for a while.
    fn depose(&mut self, leader: NodeId, crash: bool, sim: &mut dyn AnyEngine) {
        if !self.targets.contains(&leader) {
            return; // an ec-counter client: not ours to cut off
        }
        self.faults.insert(fault::DEPOSE);
        let now = sim.now();
        let until = now + self.hop * self.rng.between(4, 40);
        if crash {
            if sim.apply(Action::Kill { node: leader }).is_ok() {
                self.crashed(leader);
                sim.schedule(until, Action::Recover { node: leader });
            }
        } else {
            let rest = self.targets.iter().copied().filter(|n| *n != leader);
            self.split(vec![vec![leader], rest.collect()], until, sim);
        }
    }

    fn split(&mut self, groups: Vec<Vec<NodeId>>, heal_at: Tick, sim: &mut dyn AnyEngine) {
        if sim.apply(Action::Partition { groups }).is_ok() {
            self.seen.insert(situation::PARTITION);
            self.faults.insert(fault::PARTITION);
            sim.schedule(heal_at, Action::HealAll);
        }
    }
}
