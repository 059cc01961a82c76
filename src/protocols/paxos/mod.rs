//! Single-decree Paxos as a plug-in: the actor ([`node`]), the safety checker ([`checker`]), the
//! views and teaching text ([`view`]), told from what the trace shows (`story`), and here its
//! settings, broken variants and chaos faults.

pub mod checker;
mod explore;
pub mod lessons;
pub mod node;
mod story;
pub mod view;

use crate::diagram::MarkKind;
use crate::protocol::Info;
use crate::protocol::{
    Aim, ChaosFault, Knob, Mode, Model, Outcome, Protocol, ProtocolEngine, Setup, Summary,
    TraceFollower, Variant,
};
use crate::sim::{Event, InFlight, NetConfig, NodeId, SimRng, Tick, Traced};
use crate::view::{
    CheatSheet, Checks, MessageLook, NodeView, Place, Quorums, ResultsView, colour_name,
};

pub use checker::PaxosChecker;
pub use node::{Ballot, Msg, Note, PaxosNode, PaxosTiming, Value};

/// The Paxos plug-in.
pub struct Paxos;

pub const MODE: Mode = Mode::of(&Paxos);
/// Its line in the registry (`crate::protocols::REGISTRY`).
pub const ENTRY: crate::protocols::Entry = crate::protocols::Entry {
    mode: MODE,
    explorer: Some(&Paxos),
};

const KNOBS: &[Knob] = &[
    Knob {
        field: "nodes",
        label: "Nodes",
        range: 3..=9,
        default: 3,
        unit: "",
        slider: Some(3..=9),
        in_link: true,
    },
    Knob::hidden("paxos.election_timeout", 10..=100_000, 300),
];

const VARIANTS: &[Variant] = &[
    Variant {
        name: "amnesia",
        what: "a recovering acceptor forgets its promises and accepted value",
    },
    Variant {
        name: "skip-highest-accepted",
        what: "a new leader proposes its own value even when a promise carried an accepted one",
    },
    Variant {
        name: "accept-after-promise",
        what: "an acceptor accepts a lower ballot's value after promising a higher ballot",
    },
];

impl Paxos {
    fn variant(setup: &Setup) -> node::Variant {
        match setup.broken {
            Some("amnesia") => node::Variant::Amnesia,
            Some("skip-highest-accepted") => node::Variant::SkipHighestAccepted,
            Some("accept-after-promise") => node::Variant::AcceptAfterPromise,
            _ => node::Variant::Correct,
        }
    }

    fn nodes(setup: &Setup) -> usize {
        setup.knob("nodes") as usize
    }
}

const INFO: Info = Info {
    name: "paxos",
    title: "Beat Paxos",
    pitch: view::PITCH,
    knobs: KNOBS,
    size_knob: "nodes",
    variants: VARIANTS,
    chaos_faults: {
        use ChaosFault::*;
        &[Crash, Crash, Slow, Cut, Partition, DropNext, Duplicate]
    },
};

impl Protocol for Paxos {
    fn info(&self) -> &'static Info {
        &INFO
    }
    fn default_net(&self) -> NetConfig {
        // The simulator's own default (so `Default::default()` would be the same).
        NetConfig::default()
    }
    fn cluster_size(&self, setup: &Setup) -> usize {
        Paxos::nodes(setup)
    }
    fn max_down(&self, setup: &Setup) -> usize {
        (Paxos::nodes(setup) - 1) / 2
    }
    /// The election timeout from half to three times its value, but at least two hops: a
    /// timeout shorter than a round trip is a different game (and a liveness bug's domain).
    fn vary_timing(&self, setup: &mut Setup, rng: &mut SimRng) {
        let timeout = setup.knob("paxos.election_timeout");
        let two_hops = 2 * (setup.net.base_delay + setup.net.jitter);
        let low = (timeout / 2).max(two_hops);
        let high = (timeout * 3).max(low);
        let drawn = rng.between(low, high).clamp(10, 100_000);
        setup
            .set_knob("paxos.election_timeout", drawn)
            .expect("paxos has an election timeout");
    }
    fn label(&self, setup: &Setup) -> String {
        format!("Paxos, {} nodes", Paxos::nodes(setup))
    }
    fn score_key(&self, setup: &Setup) -> String {
        format!("paxos-{}", Paxos::nodes(setup))
    }
    fn node_name(&self, _setup: &Setup, node: NodeId) -> String {
        colour_name(node).to_string()
    }
    fn layout(&self, setup: &Setup) -> Vec<Place> {
        view::layout(Paxos::nodes(setup))
    }
    fn links(&self, setup: &Setup) -> Vec<(NodeId, NodeId)> {
        let n = Paxos::nodes(setup);
        (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .collect()
    }
    fn cheat_sheet(&self) -> CheatSheet {
        view::CHEAT_SHEET
    }
    fn scenarios(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (
                "leader-crash.json",
                include_str!("../../../assets/scenarios/leader-crash.json"),
            ),
            (
                "dueling-leaders.json",
                include_str!("../../../assets/scenarios/dueling-leaders.json"),
            ),
        ]
    }
    fn lessons(&self) -> &'static [crate::protocol::Lesson] {
        lessons::LESSONS
    }
}

impl Model for Paxos {
    type Actor = PaxosNode;
    type Checker = PaxosChecker;

    fn build(setup: &Setup) -> (Vec<PaxosNode>, PaxosChecker) {
        let n = Paxos::nodes(setup);
        let timing = PaxosTiming {
            election_timeout: setup.knob("paxos.election_timeout"),
        };
        (
            PaxosNode::cluster(n, Paxos::variant(setup), timing),
            PaxosChecker::new(n),
        )
    }

    fn finished(sim: &ProtocolEngine<Self>) -> bool {
        sim.checker().decisions.len() == sim.actors().len()
    }

    fn won_at(sim: &ProtocolEngine<Self>) -> Option<Tick> {
        sim.checker().first_decision
    }

    fn summarize(sim: &ProtocolEngine<Self>, summary: &mut Summary) {
        let checker = sim.checker();
        summary.decided = checker.first_decision.is_some();
        summary.value = checker
            .decisions
            .values()
            .next()
            .map(|v| colour_name(*v).to_string());
        summary.decision_tick = checker.first_decision;
        summary.ballots = Some(checker.ballots_started);
    }

    fn node_view(sim: &ProtocolEngine<Self>, _setup: &Setup, node: NodeId) -> NodeView {
        view::node(sim, node)
    }

    fn message_look(_setup: &Setup, message: &InFlight<Msg>) -> MessageLook {
        view::message(&message.msg)
    }

    fn note_text(note: &Note) -> Option<String> {
        view::note(note)
    }

    fn mark(event: &Event<PaxosNode>) -> Option<(NodeId, MarkKind, String)> {
        view::mark(event)
    }

    fn checks(sim: &ProtocolEngine<Self>, _setup: &Setup) -> Checks {
        view::checks(sim)
    }

    fn quorums(sim: &ProtocolEngine<Self>) -> Quorums {
        view::quorums(sim)
    }

    fn quorums_following(sim: &ProtocolEngine<Self>, follower: &mut TraceFollower) -> Quorums {
        view::quorums_following(sim, follower)
    }

    fn caption(
        sim: &ProtocolEngine<Self>,
        _setup: &Setup,
        step: &[Traced<PaxosNode>],
    ) -> Option<String> {
        view::caption(sim, step)
    }

    fn results(sim: &ProtocolEngine<Self>, _setup: &Setup, outcome: &Outcome) -> ResultsView {
        view::results(sim, outcome)
    }

    fn aim(message: &Msg) -> Aim {
        match message {
            Msg::Prepare { .. } => Aim::Open,
            Msg::Accept { .. } => Aim::Commit,
            Msg::Promise { .. } | Msg::Accepted { .. } => Aim::Vote,
            Msg::Nack { .. } | Msg::Decide { .. } => Aim::Other,
        }
    }

    fn dangers(sim: &ProtocolEngine<Self>) -> Vec<&'static str> {
        if sim.checker().values_proposed() >= 2 {
            vec!["two_values_proposed"]
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulation::Simulation;

    fn setup(nodes: u64) -> Setup {
        let mut setup = Setup::for_mode(MODE);
        setup.set_knob("nodes", nodes).unwrap();
        setup
    }

    /// Chaos counts a run as dangerous when two values were proposed, and only then.
    #[test]
    fn two_values_proposed_is_the_danger_one_is_not() {
        let (mut calm, mut dangerous) = (0, 0);
        for seed in 0..60 {
            let mut setup = setup(3);
            setup.seed = seed;
            // Short timeouts make duelling proposers common.
            setup.set_knob("paxos.election_timeout", 60).unwrap();
            let mut simulation = Simulation::new(&setup, false);
            simulation.run_to_end(setup.max_ticks);
            let sim = simulation.of::<Paxos>().unwrap();
            let two = sim.checker().values_proposed() >= 2;
            assert_eq!(
                Paxos::dangers(sim),
                if two {
                    vec!["two_values_proposed"]
                } else {
                    vec![]
                },
                "seed {seed}"
            );
            if two {
                dangerous += 1;
            } else {
                calm += 1;
            }
        }
        assert!(
            calm > 0 && dangerous > 0,
            "{calm} calm, {dangerous} dangerous"
        );
    }

    #[test]
    fn the_player_may_kill_as_many_nodes_as_leave_a_majority_up() {
        for n in 3..=9 {
            let down = setup(n).max_down();
            let up = n as usize - down;
            assert!(2 * up > n as usize, "{down} of {n} down leaves no majority");
            assert!(
                2 * (up - 1) <= n as usize,
                "{n} nodes could lose more than {down}"
            );
        }
    }

    #[test]
    fn the_setup_reaches_every_node() {
        use node::Variant::*;
        let mut setup = setup(4);
        setup.set_knob("paxos.election_timeout", 77).unwrap();
        for expected in [Correct, Amnesia, SkipHighestAccepted, AcceptAfterPromise] {
            // Each broken variant is offered under its scenario-file name.
            setup.broken = match expected {
                Correct => None,
                Amnesia | SkipHighestAccepted | AcceptAfterPromise => {
                    let name = serde_json::to_value(expected).unwrap();
                    MODE.variant(name.as_str().unwrap()).map(|v| v.name)
                }
            };
            assert_eq!(setup.validate(), Ok(()));
            assert_eq!(
                setup.broken.is_some(),
                expected != Correct,
                "{expected:?} not offered"
            );
            let (nodes, checker) = Paxos::build(&setup);
            assert_eq!(nodes.len(), 4);
            for (id, node) in nodes.iter().enumerate() {
                assert_eq!(
                    (
                        node.id,
                        node.cluster,
                        node.variant,
                        node.timing.election_timeout
                    ),
                    (id, 4, expected, 77)
                );
            }
            assert!(checker.decisions.is_empty());
        }
    }

    #[test]
    fn a_round_is_won_at_the_first_decision_and_over_when_everyone_knows() {
        let setup = setup(5);
        let mut simulation = Simulation::new(&setup, false);
        while simulation.engine().won_at().is_none() {
            assert!(simulation.step_one(), "never decided");
        }
        let first = simulation
            .of::<Paxos>()
            .unwrap()
            .checker()
            .first_decision
            .unwrap();
        assert_eq!(simulation.engine().won_at(), Some(first));
        simulation.run_to_end(setup.max_ticks);
        assert!(simulation.engine().finished());
        let checker = simulation.of::<Paxos>().unwrap().checker();
        assert_eq!(checker.decisions.len(), 5);
        let summary = simulation.engine().summary(&setup);
        assert_eq!(summary.decision_tick, Some(first));
        assert_eq!(summary.ballots, Some(checker.ballots_started));
    }
}
