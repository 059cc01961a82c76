//! One round of the game, without any rendering: the simulation, the player's attacks with their
//! fault budget and automatic healing, and the score; and the round's *line*, the moves it is
//! made of, which it can play back (a replay, a link), rewind and fork.
//!
//! The score counts only what the player did: the core is deterministic, so the round is also run
//! left alone (its setup without the player's moves), and the score is how much later than that
//! the cluster won (decided; for the counter, converged after its clients finished). The budget
//! keeps it honest too: every attack spends points, so it cannot be farmed by repeating one cheap
//! attack.
//!
//! The core is deterministic, so a round is its setup plus its line, the (tick, attack) moves in
//! order: the round at tick `t` is a fresh round run to each move's tick in turn, the move applied
//! there (after every event due at or before that tick), and then run to `t`. Seeking rebuilds a
//! round that way, from the nearest snapshot it kept of its run rather than from the start.

use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub use crate::protocol::Outcome;
use crate::protocol::Setup;
use crate::sim::{Action, ActionError, MsgId, NodeId, Tick};
use crate::simulation::Simulation;

/// Fault points a player has per round, unless the scenario gives another budget.
pub use crate::protocol::DEFAULT_FAULT_BUDGET as FAULT_BUDGET;
/// In-flight messages a player may drop per round.
pub const DROPS_PER_ROUND: u32 = 5;
/// Messages a player may duplicate per round.
pub const DUPLICATES_PER_ROUND: u32 = 5;
/// How much slower a node is while the player holds it.
pub const SLOW_FACTOR: u32 = 4;

/// A round keeps a snapshot of its run every this many events at first (see [`Round::seek`]).
const SNAPSHOT_SPACING: u64 = 1024;
/// When a round holds more snapshots than this, it keeps every other one and spaces the next
/// ones twice as far apart: memory stays bounded however long the round, and a seek re-runs at
/// most about 1/`MAX_SNAPSHOTS` of it.
const MAX_SNAPSHOTS: usize = 512;

/// What the player can do, each mapped to core actions. In JSON (the web API, replays):
/// `{"ToggleDown": 0}`, `{"Slow": [0, true]}`, `{"Cut": [0, 1]}`, `{"Drop": 17}`, `"HealAll"`,
/// `{"Duplicate": 17}`, `{"DuplicateNext": 2}`, `{"Submit": 1}`; the network player's `{"Deliver": 17}`,
/// `{"DeliverCopy": 17}`, `{"Fire": [0, 0]}`, `{"RunNetwork": true}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Attack {
    /// Kill a live node or recover a dead one.
    ToggleDown(NodeId),
    /// Start or stop slowing a node (held by pointer, or toggled by key).
    Slow(NodeId, bool),
    /// Cut the link between two nodes, both ways; it heals by itself.
    Cut(NodeId, NodeId),
    /// Cut one node off from all the others; heals by itself.
    Isolate(NodeId),
    HealAll,
    Drop(MsgId),
    /// Drop the next message this node sends.
    DropNext(NodeId),
    /// Deliver an in-flight message twice: a copy arrives one hop after it.
    Duplicate(MsgId),
    /// Deliver the next message this node sends twice, the copy one hop later.
    DuplicateNext(NodeId),
    /// ec-counter: pause or resume every client.
    PauseClients(bool),
    /// Submit a client command at this node (Raft's servers take one).
    Submit(NodeId),
    /// Network player: deliver this waiting message now.
    Deliver(MsgId),
    /// Network player: deliver a copy of this waiting message now and keep it waiting.
    DeliverCopy(MsgId),
    /// Network player: fire this node's armed timer, the given one in the order armed.
    Fire(NodeId, usize),
    /// Network player: let the network deliver and fire by itself (true), or hold it again.
    RunNetwork(bool),
}

impl Attack {
    /// Fault points the attack costs; undoing a fault is free.
    pub fn cost(&self, round: &Round) -> u32 {
        match self {
            Attack::ToggleDown(node) if round.simulation.is_down(*node) => 0,
            Attack::ToggleDown(_) | Attack::Isolate(_) => 3,
            Attack::Cut(..) | Attack::PauseClients(true) => 2,
            Attack::Slow(_, true)
            | Attack::Drop(_)
            | Attack::DropNext(_)
            | Attack::Duplicate(_)
            | Attack::DuplicateNext(_)
            // A point, as a command delays the clients' a little: it cannot be repeated for free.
            | Attack::Submit(_)
            | Attack::DeliverCopy(_) => 1,
            Attack::Slow(_, false)
            | Attack::HealAll
            | Attack::PauseClients(false)
            | Attack::Deliver(_)
            | Attack::Fire(..)
            | Attack::RunNetwork(_) => 0,
        }
    }

    /// The checks that depend only on the cluster's shape (the nodes it names exist and may be
    /// attacked), as the simulator makes them when the attack applies: replays and links run
    /// them when they are read, so a bad node is reported there, in the same words.
    pub fn check(&self, setup: &Setup) -> Result<(), String> {
        if self.is_network_move() && !setup.network_player {
            return Err(ActionError::NotNetworkPlayer.to_string());
        }
        let action = match *self {
            Attack::ToggleDown(node) => Action::Kill { node },
            Attack::Slow(node, _) => Action::Slow {
                node,
                factor: SLOW_FACTOR,
            },
            Attack::Cut(from, to) => Action::Cut {
                from,
                to,
                both: true,
            },
            Attack::Isolate(node) => Action::Partition {
                groups: vec![vec![node]],
            },
            Attack::DropNext(from) => Action::DropNext { from },
            Attack::DuplicateNext(from) => Action::DuplicateNext { from, delay: 0 },
            Attack::Submit(node) => Action::Submit { node },
            Attack::Fire(node, timer) => Action::Fire { node, timer },
            Attack::HealAll
            | Attack::Drop(_)
            | Attack::Duplicate(_)
            | Attack::PauseClients(_)
            | Attack::Deliver(_)
            | Attack::DeliverCopy(_)
            | Attack::RunNetwork(_) => {
                return Ok(());
            }
        };
        action
            .check(setup.cluster_size(), |node| setup.is_target(node))
            .map_err(|problem| problem.to_string())
    }

    /// Whether only the network player may make this move (delivering, firing, letting the
    /// network run).
    pub fn is_network_move(&self) -> bool {
        matches!(
            self,
            Attack::Deliver(_) | Attack::DeliverCopy(_) | Attack::Fire(..) | Attack::RunNetwork(_)
        )
    }

    /// The network player's move that carries out `action`, a step of the checker's answer to
    /// "can this still break?" (its steps are actions: the explorer sits beside this layer and
    /// cannot name attacks): `None` for an action no move makes.
    pub fn of_network_step(action: &Action) -> Option<Attack> {
        Some(match *action {
            Action::Deliver {
                message,
                copy: false,
            } => Attack::Deliver(message),
            Action::Deliver {
                message,
                copy: true,
            } => Attack::DeliverCopy(message),
            Action::Drop { message } => Attack::Drop(message),
            Action::Fire { node, timer } => Attack::Fire(node, timer),
            Action::Kill { node } | Action::Recover { node } => Attack::ToggleDown(node),
            Action::Network { run } => Attack::RunNetwork(run),
            _ => return None,
        })
    }
}

impl fmt::Display for Attack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attack::ToggleDown(node) => write!(f, "kill or recover node {node}"),
            Attack::Slow(node, true) => write!(f, "slow node {node}"),
            Attack::Slow(node, false) => write!(f, "stop slowing node {node}"),
            Attack::Cut(a, b) => write!(f, "cut the link {a}-{b}"),
            Attack::Isolate(node) => write!(f, "isolate node {node}"),
            Attack::HealAll => write!(f, "heal everything"),
            Attack::Drop(id) => write!(f, "drop message {id}"),
            Attack::DropNext(node) => write!(f, "drop node {node}'s next message"),
            Attack::Duplicate(id) => write!(f, "duplicate message {id}"),
            Attack::DuplicateNext(node) => write!(f, "duplicate node {node}'s next message"),
            Attack::PauseClients(true) => write!(f, "pause the clients"),
            Attack::PauseClients(false) => write!(f, "resume the clients"),
            Attack::Submit(node) => write!(f, "submit a command at node {node}"),
            Attack::Deliver(id) => write!(f, "deliver message {id}"),
            Attack::DeliverCopy(id) => write!(f, "deliver a copy of message {id}"),
            Attack::Fire(node, 0) => write!(f, "fire node {node}'s timer"),
            Attack::Fire(node, timer) => write!(f, "fire node {node}'s timer {timer}"),
            Attack::RunNetwork(true) => write!(f, "let the network run"),
            Attack::RunNetwork(false) => write!(f, "hold the network"),
        }
    }
}

/// A player's move, as shown on the results screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Move {
    pub tick: Tick,
    pub attack: Attack,
    pub cost: u32,
}

/// A move of a round's line: what replays and links carry. In JSON
/// `{"tick": 1200, "attack": {"Isolate": 2}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedMove {
    pub tick: Tick,
    pub attack: Attack,
}

impl From<&Move> for PlannedMove {
    fn from(played: &Move) -> PlannedMove {
        PlannedMove {
            tick: played.tick,
            attack: played.attack.clone(),
        }
    }
}

/// Checks a line of moves against the setup it is for, before it is played: ticks within the
/// round and in order, attacks naming nodes that exist. Errors name the move as `moves[i]`.
pub fn check_line(setup: &Setup, moves: &[PlannedMove]) -> Result<(), String> {
    let mut previous = 0;
    for (index, planned) in moves.iter().enumerate() {
        if planned.tick > setup.max_ticks {
            return Err(format!(
                "moves[{index}].tick: {} is after the round's last tick ({})",
                planned.tick, setup.max_ticks
            ));
        }
        if planned.tick < previous {
            return Err(format!(
                "moves[{index}].tick: {} comes before the previous move's tick {previous} \
                 (moves must be in tick order)",
                planned.tick
            ));
        }
        previous = planned.tick;
        planned
            .attack
            .check(setup)
            .map_err(|problem| format!("moves[{index}].attack: {problem}"))?;
    }
    Ok(())
}

/// The round as it stood at some point of its run, to seek from.
struct Snapshot {
    simulation: Simulation,
    budget_left: u32,
    drops_left: u32,
    duplicates_left: u32,
    moves: Vec<Move>,
    outcome: Option<Outcome>,
}

pub struct Round {
    pub setup: Setup,
    pub simulation: Simulation,
    pub budget_left: u32,
    pub drops_left: u32,
    pub duplicates_left: u32,
    /// The moves applied so far, the player's and those played back, in order.
    pub moves: Vec<Move>,
    pub outcome: Option<Outcome>,
    /// The whole line: `moves` as planned moves, then the moves still to play.
    line: Vec<PlannedMove>,
    /// Moves played back since the game last asked (see [`Round::take_played_back`]).
    played_back: Vec<Move>,
    playback_error: Option<String>,
    /// The furthest tick this line has been run to.
    frontier: Tick,
    /// In the order they were taken: by tick, and by moves applied at the same tick. The first is
    /// the fresh round.
    snapshots: Vec<Snapshot>,
    snapshot_spacing: u64,
    /// When the round left alone was won (see [`Round::left_alone`]), worked out once.
    left_alone: OnceLock<Option<Tick>>,
    /// Whether the round started from someone's line (a replay, a link) rather than fresh.
    replayed: bool,
}

impl Round {
    pub fn new(setup: Setup) -> Round {
        let mut round = Round {
            simulation: Simulation::new(&setup, true),
            budget_left: setup.budget,
            setup,
            drops_left: DROPS_PER_ROUND,
            duplicates_left: DUPLICATES_PER_ROUND,
            moves: Vec::new(),
            outcome: None,
            line: Vec::new(),
            played_back: Vec::new(),
            playback_error: None,
            frontier: 0,
            snapshots: Vec::new(),
            snapshot_spacing: SNAPSHOT_SPACING,
            left_alone: OnceLock::new(),
            replayed: false,
        };
        round.take_snapshot();
        round
    }

    /// A fresh round of `setup` that plays `moves` back, each at its tick, as it runs (until the
    /// player makes a move of their own). The moves should have passed [`check_line`]; any the
    /// round refuses when its tick comes stop the playback (see [`Round::playback_error`]).
    pub fn with_plan(setup: Setup, moves: Vec<PlannedMove>) -> Round {
        let mut round = Round::new(setup);
        round.replayed = !moves.is_empty();
        round.line = moves;
        round
    }

    /// Whether this round started by playing back a line (a replay file, a link with moves):
    /// its moves are not all the player's, so its score is not theirs to keep.
    pub fn replayed(&self) -> bool {
        self.replayed
    }

    /// When the same round left alone, its setup with none of the player's moves, was won: the
    /// tick the score counts from. None if it never is within the round's `max_ticks`. Run once,
    /// on first use, in a simulation of its own (without a trace).
    pub fn left_alone(&self) -> Option<Tick> {
        *self.left_alone.get_or_init(|| {
            let mut alone = Simulation::new(&self.setup, false);
            while alone.engine().won_at().is_none()
                && alone
                    .engine()
                    .next_due()
                    .is_some_and(|due| due <= self.setup.max_ticks)
            {
                alone.step_one();
            }
            alone.engine().won_at()
        })
    }

    /// The score so far: the delay beyond the round left alone, the final score once won.
    pub fn score_so_far(&self) -> Tick {
        match &self.outcome {
            Some(outcome) => outcome.score,
            None => self
                .left_alone()
                .map_or(0, |alone| self.now().saturating_sub(alone)),
        }
    }

    pub fn now(&self) -> Tick {
        self.simulation.engine().now()
    }

    /// Ticks of one message hop at normal speed, the unit attack durations are measured in.
    fn hop(&self) -> Tick {
        self.setup.net.base_delay + self.setup.net.jitter / 2
    }

    /// The player's move: applies an attack, spending its cost; on refusal nothing changes and
    /// the reason is returned in words a player understands. A move forks the line: the moves
    /// that were still to play (a replay's, or those after a rewind) are dropped, and the line
    /// goes on from here.
    pub fn attack(&mut self, attack: Attack) -> Result<(), String> {
        // Whatever is due by now happens first, as it does when a replay applies this move.
        let now = self.now();
        self.simulation.run_until(now);
        self.update_outcome();
        let held = self.network_held();
        let played = self.apply(attack)?;
        self.line.truncate(self.moves.len() - 1);
        self.line.push(PlannedMove::from(&played));
        self.forget_after_now();
        self.frontier = now;
        if held {
            // The network player's clock: each move takes one hop, so that the next happens
            // later and messages visibly travel; nothing else moves time while the network waits.
            let hop = self.hop();
            self.run_to((now + hop).min(self.setup.max_ticks));
        }
        Ok(())
    }

    /// Whether this is a network player's round whose network waits for the player (it was not
    /// let run): then time moves only with the player's moves.
    pub fn network_held(&self) -> bool {
        self.simulation.engine().network_running() == Some(false)
    }

    /// What the network player can do now: the messages waiting on their links (by
    /// destination, in the order sent) and the timers that can fire. `None` unless the round's
    /// setup is a network player's (`Setup::network_player`).
    pub fn network_choices(&self) -> Option<crate::view::NetworkChoices> {
        self.simulation.engine().network_choices(&self.setup)
    }

    /// Applies an attack now and records it in `moves`, or says why not (changing nothing).
    fn apply(&mut self, attack: Attack) -> Result<Move, String> {
        // The network player plays on past the outcome: a way to break a protocol may go
        // through a decision.
        if self.outcome.is_some() && !self.setup.keep_playing && !self.setup.network_player {
            return Err("the round is over".into());
        }
        let cost = attack.cost(self);
        if cost > self.budget_left {
            return Err(format!(
                "not enough fault budget ({} left, this costs {cost})",
                self.budget_left
            ));
        }
        if matches!(attack, Attack::Drop(_) | Attack::DropNext(_)) && self.drops_left == 0 {
            return Err(format!(
                "no drops left this round (you get {DROPS_PER_ROUND})"
            ));
        }
        if matches!(
            attack,
            Attack::Duplicate(_) | Attack::DuplicateNext(_) | Attack::DeliverCopy(_)
        ) && self.duplicates_left == 0
        {
            return Err(format!(
                "no duplicates left this round (you get {DUPLICATES_PER_ROUND})"
            ));
        }
        let now = self.now();
        let hop = self.hop();
        let targets: Vec<NodeId> = (0..self.setup.cluster_size())
            .filter(|n| self.setup.is_target(*n))
            .collect();
        let sim = &mut self.simulation;
        match &attack {
            Attack::ToggleDown(node) => {
                if sim.is_down(*node) {
                    sim.apply(Action::Recover { node: *node })
                } else {
                    sim.apply(Action::Kill { node: *node }).inspect(|_| {
                        if let Some(hops) = self.setup.mode.restart_killed_after_hops() {
                            sim.schedule(now + hop * hops, Action::Recover { node: *node });
                        }
                    })
                }
            }
            Attack::Slow(node, on) => sim.apply(Action::Slow {
                node: *node,
                factor: if *on { SLOW_FACTOR } else { 1 },
            }),
            Attack::Cut(a, b) => sim
                .apply(Action::Cut {
                    from: *a,
                    to: *b,
                    both: true,
                })
                .inspect(|_| {
                    sim.schedule(now + hop * 8, Action::Heal { from: *a, to: *b });
                }),
            Attack::Isolate(node) => {
                let others = targets.into_iter().filter(|n| n != node).collect();
                sim.apply(Action::Partition {
                    groups: vec![vec![*node], others],
                })
                .inspect(|_| {
                    sim.schedule(now + hop * 10, Action::HealAll);
                })
            }
            Attack::HealAll => sim.apply(Action::HealAll),
            Attack::Drop(id) => sim.apply(Action::Drop { message: *id }),
            Attack::DropNext(node) => sim.apply(Action::DropNext { from: *node }),
            Attack::Duplicate(id) => sim.apply(Action::Duplicate {
                message: *id,
                delay: hop,
            }),
            Attack::DuplicateNext(node) => sim.apply(Action::DuplicateNext {
                from: *node,
                delay: hop,
            }),
            Attack::Submit(node) => sim.apply(Action::Submit { node: *node }),
            Attack::Deliver(id) => sim.apply(Action::Deliver {
                message: *id,
                copy: false,
            }),
            Attack::DeliverCopy(id) => sim.apply(Action::Deliver {
                message: *id,
                copy: true,
            }),
            Attack::Fire(node, timer) => sim.apply(Action::Fire {
                node: *node,
                timer: *timer,
            }),
            Attack::RunNetwork(run) => sim.apply(Action::Network { run: *run }),
            Attack::PauseClients(pause) => {
                let action = if *pause {
                    Action::PauseClients
                } else {
                    Action::ResumeClients
                };
                sim.apply(action).inspect(|_| {
                    if *pause {
                        sim.schedule(now + hop * 40, Action::ResumeClients);
                    }
                })
            }
        }
        .map_err(|refusal| refusal.to_string())?;
        self.budget_left -= cost;
        if matches!(attack, Attack::Drop(_) | Attack::DropNext(_)) {
            self.drops_left -= 1;
        }
        if matches!(
            attack,
            Attack::Duplicate(_) | Attack::DuplicateNext(_) | Attack::DeliverCopy(_)
        ) {
            self.duplicates_left -= 1;
        }
        let played = Move {
            tick: now,
            attack,
            cost,
        };
        self.moves.push(played.clone());
        Ok(played)
    }

    /// Advances the simulation by `ticks` (playing back planned moves as their ticks come) and
    /// notes the outcome once there is one.
    pub fn advance(&mut self, ticks: Tick) {
        let mut until = (self.now() + ticks).min(self.setup.max_ticks);
        if self.network_held() {
            // Time waits for the network player: only a move of the line played back moves it.
            let next_move = self.planned().first().map(|m| m.tick);
            until = until.min(next_move.unwrap_or(0).max(self.now()));
        }
        self.run_to(until);
    }

    /// Advances to the next thing that happens, an event or a planned move (single-stepping
    /// while paused).
    pub fn step(&mut self) {
        let next_move = self.planned().first().map(|m| m.tick);
        let next = match (self.simulation.engine().next_due(), next_move) {
            (Some(event), Some(planned)) => Some(event.min(planned)),
            (event, planned) => event.or(planned),
        };
        if let Some(next) = next {
            self.run_to(next);
        }
    }

    /// Runs to `until`: every event due at or before it and every planned move up to it, each
    /// at its tick after the events due then, keeping snapshots along the way.
    fn run_to(&mut self, until: Tick) {
        loop {
            let next_event = self.simulation.engine().next_due().filter(|t| *t <= until);
            let next_move = self
                .planned()
                .first()
                .map(|m| m.tick)
                .filter(|t| *t <= until);
            match (next_event, next_move) {
                (Some(event), Some(planned)) if event <= planned => self.run_tick(event),
                (Some(event), None) => self.run_tick(event),
                (_, Some(planned)) => {
                    self.run_tick(planned);
                    self.play_next_planned();
                }
                (None, None) => break,
            }
        }
        self.simulation.run_until(until);
        self.update_outcome();
        self.frontier = self.frontier.max(self.now());
    }

    /// Processes every event due at or before `tick` (in one go: the state between two ticks is
    /// the same however the run got there).
    fn run_tick(&mut self, tick: Tick) {
        self.simulation.run_until(tick);
        let since = self
            .snapshots
            .last()
            .map_or(0, |s| s.simulation.engine().events_processed());
        if self.simulation.engine().events_processed() >= since + self.snapshot_spacing {
            self.take_snapshot();
        }
    }

    /// Plays the next planned move now. A move the round refuses (a tampered or mistaken
    /// replay) ends the playback: the rest of the line is dropped and the refusal kept.
    fn play_next_planned(&mut self) {
        let index = self.moves.len();
        let planned = self.line[index].clone();
        self.update_outcome();
        match self.apply(planned.attack.clone()) {
            Ok(played) => self.played_back.push(played),
            Err(refusal) => {
                self.playback_error = Some(format!(
                    "move {} of {} ({} at tick {}) was refused: {refusal}; the playback \
                     stopped there",
                    index + 1,
                    self.line.len(),
                    planned.attack,
                    planned.tick
                ));
                self.line.truncate(index);
                self.forget_after_now();
            }
        }
    }

    /// The line changed at now: what this run kept of its old future (snapshots, trace) goes.
    fn forget_after_now(&mut self) {
        let (now, applied) = (self.now(), self.moves.len());
        self.snapshots
            .retain(|s| s.simulation.engine().now() <= now && s.moves.len() <= applied);
        self.simulation.forget_kept_trace();
    }

    fn take_snapshot(&mut self) {
        self.snapshots.push(Snapshot {
            simulation: self.simulation.snapshot(),
            budget_left: self.budget_left,
            drops_left: self.drops_left,
            duplicates_left: self.duplicates_left,
            moves: self.moves.clone(),
            outcome: self.outcome.clone(),
        });
        if self.snapshots.len() > MAX_SNAPSHOTS {
            // Keep the fresh round and every other one after it.
            let mut index = 0;
            self.snapshots.retain(|_| {
                index += 1;
                index % 2 == 1
            });
            self.snapshot_spacing *= 2;
        }
    }

    /// Goes back (or forward) to the round as it stood at `tick` on its line: every event due
    /// at or before `tick` and every move of the line at or before `tick` applied. The line is
    /// kept whole, so playing on plays its later moves back, unless the player makes a move
    /// (which forks it, see [`Round::attack`]). A tick past the frontier goes to the frontier.
    /// Returns the tick reached.
    pub fn seek(&mut self, tick: Tick) -> Tick {
        let target = tick.min(self.frontier);
        let start = self
            .snapshots
            .iter()
            .rposition(|s| s.simulation.engine().now() <= target)
            .unwrap_or(0);
        let snapshot_now = self
            .snapshots
            .get(start)
            .map(|s| s.simulation.engine().now());
        // Running on from now is as good as restoring a snapshot when none is closer.
        let run_on = self.now() <= target && snapshot_now.is_none_or(|t| t <= self.now());
        if !run_on {
            self.restore(start);
        }
        self.run_to(target);
        self.played_back.clear();
        self.now()
    }

    /// Restores snapshot `index`, keeping the line.
    fn restore(&mut self, index: usize) {
        let restored = self
            .snapshots
            .get(index)
            .map(|s| self.simulation.restore(&s.simulation));
        match (restored, self.snapshots.get(index)) {
            (Some(Ok(())), Some(snapshot)) => {
                self.budget_left = snapshot.budget_left;
                self.drops_left = snapshot.drops_left;
                self.duplicates_left = snapshot.duplicates_left;
                self.moves = snapshot.moves.clone();
                self.outcome = snapshot.outcome.clone();
            }
            // Not for a round kept as the game keeps it (a streamed trace cannot rewind): start
            // over from the setup.
            _ => {
                let line = std::mem::take(&mut self.line);
                let (frontier, error) = (self.frontier, self.playback_error.take());
                *self = Round::with_plan(self.setup.clone(), line);
                self.frontier = frontier;
                self.playback_error = error;
            }
        }
    }

    /// The whole line: the moves applied so far, then those still to play.
    pub fn line(&self) -> &[PlannedMove] {
        &self.line
    }

    /// The moves of the line still to play, in order.
    pub fn planned(&self) -> &[PlannedMove] {
        &self.line[self.moves.len().min(self.line.len())..]
    }

    /// The furthest tick this line has been run to: how far [`Round::seek`] goes. A move of the
    /// player's makes its tick the frontier.
    pub fn frontier(&self) -> Tick {
        self.frontier
    }

    /// The moves played back since the last call, each as it happened, to show them.
    pub fn take_played_back(&mut self) -> Vec<Move> {
        std::mem::take(&mut self.played_back)
    }

    /// Why the playback stopped, if a planned move was refused, in words.
    pub fn playback_error(&self) -> Option<&str> {
        self.playback_error.as_deref()
    }

    /// Where stepping back goes: the tick before the last thing that happened by now, the
    /// latest earlier tick at which something happened (or 0, the start).
    pub fn previous_moment(&self) -> Option<Tick> {
        let now = self.now();
        let last = self
            .simulation
            .engine()
            .moment_before(now.saturating_add(1))?;
        self.simulation
            .engine()
            .moment_before(last)
            .or((last > 0).then_some(0))
    }

    /// The next tick after now at which something happens: an event this line has already
    /// reached, else the next event due or planned move (where [`Round::step`] goes).
    pub fn next_moment(&self) -> Option<Tick> {
        let now = self.now();
        if let Some(kept) = self.simulation.engine().moment_after(now) {
            return Some(kept);
        }
        let next_move = self.planned().first().map(|m| m.tick);
        [self.simulation.engine().next_due(), next_move]
            .into_iter()
            .flatten()
            .filter(|t| *t > now)
            .min()
    }

    /// How many snapshots of its run the round holds (for the benchmark).
    pub fn snapshot_count(&self) -> usize {
        self.snapshots.len()
    }

    /// Runs the round to its end as `beat-paxos sim` runs a setup, playing the line's moves at
    /// their ticks: one event at a time until the round is finished (every Paxos node decided;
    /// the counter converged with the network healed), nothing is left to happen, or
    /// `max_ticks`. The game keeps simulating after its outcome; the first events of its trace
    /// are this run's. Planned moves left when the round finishes are reported as a playback
    /// error (a legitimate line never has them: the round refuses moves once it is over).
    pub fn play_to_end(&mut self) {
        let max_ticks = self.setup.max_ticks;
        loop {
            if self.simulation.engine().finished() {
                break;
            }
            let next_event = self
                .simulation
                .engine()
                .next_due()
                .filter(|t| *t <= max_ticks);
            let next_move = self.planned().first().map(|m| m.tick);
            match (next_event, next_move.filter(|t| *t <= max_ticks)) {
                (Some(event), Some(planned)) if planned < event => {
                    self.simulation.run_until(planned);
                    self.play_next_planned();
                    // Headless: nobody shows them, and a long line would keep them all.
                    self.played_back.clear();
                }
                (None, Some(planned)) => {
                    self.simulation.run_until(planned);
                    self.play_next_planned();
                    self.played_back.clear();
                }
                (Some(_), _) => {
                    self.simulation.step_one();
                }
                (None, None) => break,
            }
        }
        self.update_outcome();
        self.frontier = self.frontier.max(self.now());
        if let Some(left) = self.planned().first().cloned()
            && self.playback_error.is_none()
        {
            self.playback_error = Some(format!(
                "move {} of {} ({} at tick {}) comes after the round ended at tick {}",
                self.moves.len() + 1,
                self.line.len(),
                left.attack,
                left.tick,
                self.now()
            ));
        }
    }

    fn update_outcome(&mut self) {
        if self.outcome.is_none()
            && let Some(tick) = self.simulation.engine().won_at()
        {
            self.outcome = Some(Outcome::new(tick, self.left_alone()));
        }
    }
}

/// A player's move in words: "kill red", "cut red - green", "drop message 17".
pub fn attack_text(attack: &Attack, setup: &Setup) -> String {
    let name = |node: NodeId| setup.mode.node_name(setup, node);
    match attack {
        Attack::ToggleDown(node) => format!("kill or recover {}", name(*node)),
        Attack::Slow(node, true) => format!("slow {}", name(*node)),
        Attack::Slow(node, false) => format!("{} back to normal speed", name(*node)),
        Attack::Cut(a, b) => format!("cut {} - {}", name(*a), name(*b)),
        Attack::Isolate(node) => format!("isolate {}", name(*node)),
        Attack::HealAll => "heal the network".into(),
        Attack::Drop(id) => format!("drop message {id}"),
        Attack::DropNext(node) => format!("drop the next message from {}", name(*node)),
        Attack::Duplicate(id) => format!("duplicate message {id}"),
        Attack::DuplicateNext(node) => {
            format!("duplicate the next message from {}", name(*node))
        }
        Attack::PauseClients(true) => "pause the clients".into(),
        Attack::PauseClients(false) => "resume the clients".into(),
        Attack::Submit(node) => format!("submit a command at {}", name(*node)),
        Attack::Deliver(id) => format!("deliver message {id}"),
        Attack::DeliverCopy(id) => format!("deliver a copy of message {id}"),
        Attack::Fire(node, _) => format!("fire {}'s timer", name(*node)),
        Attack::RunNetwork(true) => "let the network run".into(),
        Attack::RunNetwork(false) => "hold the network".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::{ec_counter, paxos};

    fn paxos_round() -> Round {
        Round::new(Setup::for_mode(paxos::MODE))
    }

    #[test]
    fn attacks_spend_the_budget_and_recovering_is_free() {
        let mut round = paxos_round();
        round.attack(Attack::ToggleDown(0)).unwrap();
        assert_eq!(round.budget_left, FAULT_BUDGET - 3);
        assert!(round.simulation.is_down(0));
        round.attack(Attack::ToggleDown(0)).unwrap();
        assert_eq!(round.budget_left, FAULT_BUDGET - 3);
        assert!(!round.simulation.is_down(0));
        assert_eq!(round.moves.len(), 2);
        while round.budget_left >= 3 {
            round.attack(Attack::ToggleDown(1)).unwrap();
            round.attack(Attack::ToggleDown(1)).unwrap();
        }
        let refused = round.attack(Attack::ToggleDown(1)).unwrap_err();
        assert!(refused.contains("not enough fault budget"), "{refused}");
    }

    #[test]
    fn the_setup_sets_the_budget_and_whether_moves_go_on_after_the_outcome() {
        let mut setup = Setup::for_mode(paxos::MODE);
        setup.budget = 4;
        let mut round = Round::new(setup.clone());
        round.attack(Attack::ToggleDown(0)).unwrap();
        assert_eq!(round.budget_left, 1);
        let refused = round.attack(Attack::Isolate(1)).unwrap_err();
        assert!(refused.contains("(1 left, this costs 3)"), "{refused}");

        for keep_playing in [false, true] {
            setup.keep_playing = keep_playing;
            let mut round = Round::new(setup.clone());
            while round.outcome.is_none() {
                round.advance(10);
            }
            assert_eq!(round.attack(Attack::Slow(0, true)).is_ok(), keep_playing);
        }
    }

    #[test]
    fn refusals_explain_and_cost_nothing() {
        let mut round = paxos_round();
        round.attack(Attack::ToggleDown(0)).unwrap();
        let budget = round.budget_left;
        let refused = round.attack(Attack::ToggleDown(1)).unwrap_err();
        assert_eq!(
            refused,
            "at most 1 of 3 may be down at once (a majority must stay up)"
        );
        assert_eq!(round.budget_left, budget);
    }

    #[test]
    fn cuts_heal_by_themselves() {
        let mut round = paxos_round();
        round.attack(Attack::Cut(0, 1)).unwrap();
        assert!(!round.simulation.link_open(0, 1) && !round.simulation.link_open(1, 0));
        round.advance(round.hop() * 8 + 1);
        assert!(round.simulation.link_open(0, 1));
    }

    #[test]
    fn drops_are_limited() {
        let mut round = paxos_round();
        for _ in 0..DROPS_PER_ROUND {
            round.attack(Attack::DropNext(0)).unwrap();
        }
        assert!(
            round
                .attack(Attack::DropNext(0))
                .unwrap_err()
                .contains("no drops left")
        );
    }

    #[test]
    fn duplicates_cost_a_point_arrive_a_hop_late_and_are_limited() {
        let mut round = paxos_round();
        while round.simulation.engine().in_flight_count() == 0 {
            round.step();
        }
        let message = round
            .simulation
            .engine()
            .message_views(&round.setup, round.now() as f64)[0]
            .id;
        round.attack(Attack::Duplicate(message)).unwrap();
        assert_eq!(round.budget_left, FAULT_BUDGET - 1);
        let views = round
            .simulation
            .engine()
            .message_views(&round.setup, round.now() as f64);
        assert_eq!(views.iter().filter(|m| m.duplicate).count(), 1);
        assert_eq!(round.simulation.engine().stats().duplicated, 1);
        for _ in 1..DUPLICATES_PER_ROUND {
            round.attack(Attack::DuplicateNext(1)).unwrap();
        }
        assert!(
            round
                .attack(Attack::DuplicateNext(1))
                .unwrap_err()
                .contains("no duplicates left")
        );
        assert_eq!(round.budget_left, FAULT_BUDGET - DUPLICATES_PER_ROUND);
        let refused = Round::new(round.setup.clone())
            .attack(Attack::Duplicate(999_999))
            .unwrap_err();
        assert_eq!(refused, "message 999999 is not in flight");
    }

    #[test]
    fn an_undisturbed_round_scores_nothing_and_attacks_score_the_delay_they_cause() {
        let mut calm = paxos_round();
        while calm.outcome.is_none() {
            calm.advance(10);
        }
        let calm_outcome = calm.outcome.clone().unwrap();
        let decided = calm.simulation.engine().summary(&calm.setup).decision_tick;
        assert!(decided.is_some_and(|t| t > 0));
        assert_eq!(
            calm_outcome,
            Outcome {
                tick: decided.unwrap(),
                left_alone: decided,
                score: 0
            },
            "left alone, the round decides when it decides: no delay, no points"
        );

        // Isolating whichever node leads, whenever one does, delays the decision.
        let mut attacked = paxos_round();
        while attacked.outcome.is_none() {
            if let Some(sim) = attacked.simulation.of::<paxos::Paxos>()
                && let Some(leader) = sim.actors().iter().position(|n| n.leading().is_some())
            {
                let _ = attacked.attack(Attack::Isolate(leader));
            }
            attacked.advance(10);
        }
        let outcome = attacked.outcome.clone().unwrap();
        assert_eq!(outcome.left_alone, decided, "the same setup, left alone");
        assert!(outcome.tick > decided.unwrap());
        assert_eq!(outcome.score, outcome.tick - decided.unwrap());
        assert_eq!(attacked.score_so_far(), outcome.score);
        assert!(
            attacked
                .attack(Attack::HealAll)
                .unwrap_err()
                .contains("over")
        );
    }

    #[test]
    fn a_counter_round_scores_how_much_later_it_converged_than_left_alone() {
        let mut setup = Setup::for_mode(ec_counter::MODE);
        setup.set_knob("requests", 10).unwrap();
        let mut alone = Simulation::new(&setup, false);
        alone.run_to_end(setup.max_ticks);
        let converged_alone = alone
            .engine()
            .won_at()
            .expect("left alone, the counter converges");

        // A server down from early on until well after the round left alone converged: its
        // clients cannot finish while it is down, so the counter converges later.
        let mut round = Round::new(setup);
        round.advance(100);
        round.attack(Attack::ToggleDown(0)).unwrap();
        let mut live_scores = Vec::new();
        while round.now() < converged_alone + 500 {
            round.advance(50);
            live_scores.push(round.score_so_far());
        }
        round.attack(Attack::ToggleDown(0)).unwrap();
        while round.outcome.is_none() && round.now() < 100_000 {
            round.advance(50);
            live_scores.push(round.score_so_far());
        }
        let outcome = round
            .outcome
            .clone()
            .expect("the counter converges once the partition heals");
        assert_eq!(outcome.left_alone, Some(converged_alone));
        assert!(outcome.tick > converged_alone + 500, "{outcome:?}");
        assert_eq!(outcome.score, outcome.tick - converged_alone);
        assert!(round.simulation.engine().violations().is_empty());
        // The live score stays at 0 until the round left alone would have converged, then
        // counts up to the final score.
        assert!(live_scores.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(live_scores[0], 0);
        assert_eq!(live_scores.last(), Some(&outcome.score));
    }

    #[test]
    fn a_round_the_players_moves_end_sooner_scores_nothing() {
        let setup = Setup::for_mode(paxos::MODE);
        let alone = Round::new(setup.clone()).left_alone().unwrap();
        let outcome = Outcome::new(alone - 1, Some(alone));
        assert_eq!(outcome.score, 0);
        assert_eq!(Outcome::new(alone + 7, Some(alone)).score, 7);
        assert_eq!(Outcome::new(alone, None).score, 0, "never won left alone");
    }

    #[test]
    fn only_a_round_started_from_a_line_is_a_replay() {
        let setup = Setup::for_mode(paxos::MODE);
        assert!(!Round::new(setup.clone()).replayed());
        assert!(!Round::with_plan(setup.clone(), Vec::new()).replayed());
        let kill = PlannedMove {
            tick: 100,
            attack: Attack::ToggleDown(0),
        };
        assert!(Round::with_plan(setup, vec![kill]).replayed());
    }

    /// A Paxos round kept busy: a partition with no majority and short timeouts, its nodes
    /// restarted now and then (a restart forgets the back-off).
    fn busy_round() -> Round {
        let mut setup = Setup::for_mode(paxos::MODE);
        setup.set_knob("nodes", 5).unwrap();
        setup.set_knob("paxos.election_timeout", 40).unwrap();
        setup.actions.push(crate::sim::TimedAction {
            at: 0,
            action: Action::Partition {
                groups: vec![vec![0, 1], vec![2, 3], vec![4]],
            },
        });
        for (k, at) in (500..20_000).step_by(500).enumerate() {
            let node = k % 5;
            setup.actions.push(crate::sim::TimedAction {
                at,
                action: Action::Kill { node },
            });
            setup.actions.push(crate::sim::TimedAction {
                at: at + 200,
                action: Action::Recover { node },
            });
        }
        Round::new(setup)
    }

    #[test]
    fn snapshots_stay_few_however_long_the_round_and_seeks_from_them_are_exact() {
        let mut round = busy_round();
        round.snapshot_spacing = 1;
        round.attack(Attack::Slow(0, true)).unwrap();
        round.advance(3_000);
        round.attack(Attack::DropNext(2)).unwrap();
        round.advance(17_000);
        assert!(round.outcome.is_none(), "no majority, no decision");
        assert!(round.snapshot_count() <= MAX_SNAPSHOTS);
        assert!(
            round.snapshot_spacing > 1,
            "thinned: {} snapshots",
            round.snapshot_count()
        );
        let whole = round.simulation.engine().trace_lines(0);
        let line = round.line().to_vec();
        for tick in [
            19_999, 0, 2_999, 3_000, 3_001, 15_555, 1, 20_000, 4_000, 11_111,
        ] {
            round.seek(tick);
            let mut fresh = Round::new(round.setup.clone());
            fresh.attack(line[0].attack.clone()).unwrap();
            fresh.advance(tick.min(3_000));
            if tick >= 3_000 {
                fresh.attack(line[1].attack.clone()).unwrap();
                fresh.advance(tick - 3_000);
            }
            let trace = round.simulation.engine().trace_lines(0);
            assert_eq!(trace, fresh.simulation.engine().trace_lines(0), "at {tick}");
            assert_eq!(trace[..], whole[..trace.len()]);
            assert_eq!(
                round.simulation.engine().node_views(&round.setup),
                fresh.simulation.engine().node_views(&fresh.setup)
            );
            assert_eq!(
                (round.budget_left, round.drops_left, &round.moves),
                (fresh.budget_left, fresh.drops_left, &fresh.moves)
            );
        }
    }

    #[test]
    fn a_line_is_checked_against_its_setup() {
        let setup = Setup::for_mode(paxos::MODE);
        let at = |tick, attack| PlannedMove { tick, attack };
        assert_eq!(
            check_line(
                &setup,
                &[at(5, Attack::HealAll), at(5, Attack::Slow(2, true))]
            ),
            Ok(())
        );
        assert_eq!(
            check_line(&setup, &[at(5, Attack::Isolate(3))]),
            Err("moves[0].attack: node 3 does not exist (nodes are 0..3)".into())
        );
        assert_eq!(
            check_line(&setup, &[at(5, Attack::Cut(1, 1))]),
            Err("moves[0].attack: a link needs two different nodes (got 1 twice)".into())
        );
        let err = check_line(&setup, &[at(setup.max_ticks + 1, Attack::HealAll)]).unwrap_err();
        assert!(err.starts_with("moves[0].tick: 1000001 is after"), "{err}");
    }
}
