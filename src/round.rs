//! One round of the game, without any rendering: the simulation, the player's attacks with their
//! fault budget and automatic healing, and the score.
//!
//! The budget is what keeps the score honest: the score is simulated time until the decision (or,
//! for the counter, until convergence after the clients finish), and every attack spends points, so
//! it cannot be farmed by repeating one cheap attack.

use serde::{Deserialize, Serialize};

pub use crate::protocol::Outcome;
use crate::protocol::Setup;
use crate::sim::{Action, MsgId, NodeId, Tick};
use crate::simulation::Simulation;

/// Fault points a player has per round.
pub const FAULT_BUDGET: u32 = 15;
/// In-flight messages a player may drop per round.
pub const DROPS_PER_ROUND: u32 = 5;
/// Messages a player may duplicate per round.
pub const DUPLICATES_PER_ROUND: u32 = 5;
/// How much slower a node is while the player holds it.
pub const SLOW_FACTOR: u32 = 4;

/// What the player can do, each mapped to core actions. In JSON (the web API):
/// `{"ToggleDown": 0}`, `{"Slow": [0, true]}`, `{"Cut": [0, 1]}`, `{"Drop": 17}`, `"HealAll"`,
/// `{"Duplicate": 17}`, `{"DuplicateNext": 2}`.
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
            | Attack::DuplicateNext(_) => 1,
            Attack::Slow(_, false) | Attack::HealAll | Attack::PauseClients(false) => 0,
        }
    }
}

/// A player's move, as shown on the results screen.
#[derive(Clone, Debug, Serialize)]
pub struct Move {
    pub tick: Tick,
    pub attack: Attack,
    pub cost: u32,
}

pub struct Round {
    pub setup: Setup,
    pub simulation: Simulation,
    pub budget_left: u32,
    pub drops_left: u32,
    pub duplicates_left: u32,
    pub moves: Vec<Move>,
    pub outcome: Option<Outcome>,
}

impl Round {
    pub fn new(setup: Setup) -> Round {
        Round {
            simulation: Simulation::new(&setup, true),
            setup,
            budget_left: FAULT_BUDGET,
            drops_left: DROPS_PER_ROUND,
            duplicates_left: DUPLICATES_PER_ROUND,
            moves: Vec::new(),
            outcome: None,
        }
    }

    pub fn now(&self) -> Tick {
        self.simulation.now()
    }

    /// Ticks of one message hop at normal speed, the unit attack durations are measured in.
    fn hop(&self) -> Tick {
        self.setup.net.base_delay + self.setup.net.jitter / 2
    }

    /// Applies an attack, spending its cost; on refusal nothing changes and the reason is returned
    /// in words a player understands.
    pub fn attack(&mut self, attack: Attack) -> Result<(), String> {
        if self.outcome.is_some() {
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
        if matches!(attack, Attack::Duplicate(_) | Attack::DuplicateNext(_))
            && self.duplicates_left == 0
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
        if matches!(attack, Attack::Duplicate(_) | Attack::DuplicateNext(_)) {
            self.duplicates_left -= 1;
        }
        self.moves.push(Move {
            tick: now,
            attack,
            cost,
        });
        Ok(())
    }

    /// Advances the simulation by `ticks` and notes the outcome once there is one.
    pub fn advance(&mut self, ticks: Tick) {
        let until = (self.now() + ticks).min(self.setup.max_ticks);
        self.simulation.run_until(until);
        self.update_outcome();
    }

    /// Advances to the next thing that happens (single-stepping while paused).
    pub fn step(&mut self) {
        if let Some(next) = self.simulation.next_due() {
            self.simulation.run_until(next);
            self.update_outcome();
        }
    }

    fn update_outcome(&mut self) {
        if self.outcome.is_none() {
            self.outcome = self.simulation.outcome();
        }
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
        while round.simulation.in_flight_count() == 0 {
            round.step();
        }
        let message = round
            .simulation
            .message_views(&round.setup, round.now() as f64)[0]
            .id;
        round.attack(Attack::Duplicate(message)).unwrap();
        assert_eq!(round.budget_left, FAULT_BUDGET - 1);
        let views = round
            .simulation
            .message_views(&round.setup, round.now() as f64);
        assert_eq!(views.iter().filter(|m| m.duplicate).count(), 1);
        assert_eq!(round.simulation.stats().duplicated, 1);
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
    fn the_score_is_the_decision_time_and_attacks_raise_it() {
        let mut calm = paxos_round();
        while calm.outcome.is_none() {
            calm.advance(10);
        }
        let calm_score = calm.outcome.as_ref().unwrap().score;
        assert_eq!(
            Some(calm_score),
            calm.simulation.summary(&calm.setup).decision_tick
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
        assert!(attacked.outcome.as_ref().unwrap().score > calm_score);
        assert!(
            attacked
                .attack(Attack::HealAll)
                .unwrap_err()
                .contains("over")
        );
    }

    #[test]
    fn a_counter_round_scores_the_time_after_the_last_request() {
        let mut setup = Setup::for_mode(ec_counter::MODE);
        setup.set_knob("requests", 10).unwrap();
        let mut round = Round::new(setup);
        round.attack(Attack::Isolate(0)).unwrap();
        while round.outcome.is_none() && round.now() < 100_000 {
            round.advance(50);
        }
        let outcome = round
            .outcome
            .expect("the counter converges once the partition heals");
        assert!(outcome.tick >= outcome.score);
        assert!(round.simulation.violations().is_empty());
    }
}
