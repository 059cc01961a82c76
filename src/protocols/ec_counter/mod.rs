//! ec-counter, an eventually consistent counter, as a plug-in: the server and client actors
//! ([`node`]), the convergence checker ([`checker`]), the views and teaching text ([`view`]), and
//! here its settings, broken variant and chaos faults.

pub mod checker;
mod explore;
pub mod lessons;
pub mod node;
pub mod view;

use crate::diagram::MarkKind;
use crate::protocol::Info;
use crate::protocol::{
    Aim, ChaosFault, Knob, Mode, Model, Outcome, Protocol, ProtocolEngine, Setup, Summary, Variant,
};
use crate::sim::{Event, InFlight, NetConfig, NodeId, SimRng, Tick, Traced};
use crate::view::{CheatSheet, Checks, MessageLook, NodeView, Place, ResultsView};

pub use checker::EcChecker;
use checker::{Convergence, RunEnd};
pub use node::{Client, EcNode, EcShape, EcTiming, Msg, Note, Op, Server};

/// The ec-counter plug-in.
pub struct EcCounter;

pub const MODE: Mode = Mode::of(&EcCounter);
/// Its line in the registry (`crate::protocols::REGISTRY`).
pub const ENTRY: crate::protocols::Entry = crate::protocols::Entry {
    mode: MODE,
    explorer: Some(&EcCounter),
};

const KNOBS: &[Knob] = &[
    Knob {
        field: "servers",
        label: "Servers",
        range: 2..=7,
        default: 3,
        unit: "",
        slider: Some(2..=7),
        in_link: true,
    },
    Knob {
        field: "clients",
        label: "Clients",
        range: 1..=12,
        default: 5,
        unit: "",
        slider: Some(1..=12),
        in_link: true,
    },
    Knob {
        field: "requests",
        label: "Requests per client",
        range: 0..=10_000,
        default: 100,
        unit: "",
        slider: Some(1..=300),
        in_link: true,
    },
    Knob {
        field: "ec_counter.sync_period",
        label: "Sync period (ms)",
        range: 1..=100_000,
        default: 100,
        unit: " ticks",
        slider: Some(20..=1000),
        in_link: false,
    },
    Knob::hidden("ec_counter.retry_timeout", 1..=100_000, 300),
    Knob::hidden("ec_counter.think_time", 1..=100_000, 40),
];

const VARIANTS: &[Variant] = &[Variant {
    name: "no-max",
    what: "a set overwrites the server's value even when it is smaller",
}];

impl EcCounter {
    /// The cluster's shape: servers are nodes `0..servers`, clients follow.
    pub fn shape(setup: &Setup) -> EcShape {
        EcShape {
            servers: setup.knob("servers") as usize,
            clients: setup.knob("clients") as usize,
            requests: setup.knob("requests") as u32,
        }
    }

    /// How long correct servers need to agree once the clients are done and the network is
    /// whole: each sends its value within a sync period and it arrives within a hop. Two rounds
    /// cover a sync lost to an armed `drop_next`; the third is margin.
    fn sync_grace(sim: &ProtocolEngine<Self>) -> Tick {
        let period = sim
            .actors()
            .iter()
            .find_map(EcNode::as_server)
            .map_or(0, |server| server.timing.sync_period);
        let net = sim.config().net;
        period
            .saturating_add(net.base_delay)
            .saturating_add(net.jitter)
            .saturating_mul(3)
    }

    fn timing(setup: &Setup) -> EcTiming {
        EcTiming {
            sync_period: setup.knob("ec_counter.sync_period"),
            retry_timeout: setup.knob("ec_counter.retry_timeout"),
            think_time: setup.knob("ec_counter.think_time"),
        }
    }
}

const INFO: Info = Info {
    name: "ec-counter",
    title: "ec-counter",
    pitch: view::PITCH,
    knobs: KNOBS,
    size_knob: "servers",
    variants: VARIANTS,
    chaos_faults: {
        use ChaosFault::*;
        &[
            Crash,
            Crash,
            Slow,
            Cut,
            Partition,
            DropNext,
            Duplicate,
            PauseClients,
        ]
    },
};

impl Protocol for EcCounter {
    fn info(&self) -> &'static Info {
        &INFO
    }
    fn default_net(&self) -> NetConfig {
        // Short hops so that a hundred requests per client make a lively minute of play.
        NetConfig {
            base_delay: 20,
            jitter: 10,
        }
    }
    fn cluster_size(&self, setup: &Setup) -> usize {
        EcCounter::shape(setup).nodes()
    }
    /// Only servers can be killed or slowed; clients are the workload, not the system.
    fn is_target(&self, setup: &Setup, node: NodeId) -> bool {
        EcCounter::shape(setup).is_server(node)
    }
    fn converges(&self) -> bool {
        true
    }
    /// All servers but one.
    fn max_down(&self, setup: &Setup) -> usize {
        EcCounter::shape(setup).servers - 1
    }
    /// A dead server would never converge: it restarts by itself.
    fn restart_killed_after_hops(&self) -> Option<u64> {
        Some(40)
    }
    /// Gossip from a third to three times its period; client retries from half to twice theirs
    /// (but never within a hop); client pauses from a quarter to four times theirs.
    fn vary_timing(&self, setup: &mut Setup, rng: &mut SimRng) {
        let hop = setup.net.base_delay + setup.net.jitter;
        let mut scale = |field: &'static str, low: u64, high: u64, floor: u64| {
            let value = setup.knob(field) * rng.between(low, high) / 100;
            let value = value.clamp(floor.max(1), 100_000);
            setup.set_knob(field, value).expect("ec-counter knob");
        };
        scale("ec_counter.sync_period", 33, 300, 1);
        scale("ec_counter.retry_timeout", 50, 200, hop);
        scale("ec_counter.think_time", 25, 400, 1);
    }
    fn label(&self, setup: &Setup) -> String {
        let shape = EcCounter::shape(setup);
        format!("ec-counter, {}x{}", shape.servers, shape.clients)
    }
    fn score_key(&self, setup: &Setup) -> String {
        let shape = EcCounter::shape(setup);
        format!("ec-counter-{}x{}", shape.servers, shape.clients)
    }
    fn node_name(&self, setup: &Setup, node: NodeId) -> String {
        if EcCounter::shape(setup).is_server(node) {
            format!("server {node}")
        } else {
            format!("client {node}")
        }
    }
    fn layout(&self, setup: &Setup) -> Vec<Place> {
        view::layout(EcCounter::shape(setup))
    }
    /// Server pairs, and each client to its own server (clients never talk to each other).
    fn links(&self, setup: &Setup) -> Vec<(NodeId, NodeId)> {
        let shape = EcCounter::shape(setup);
        let servers = (0..shape.servers).flat_map(|a| (a + 1..shape.servers).map(move |b| (a, b)));
        let clients = (shape.servers..shape.nodes()).map(|c| (shape.server_of(c), c));
        servers.chain(clients).collect()
    }
    fn cheat_sheet(&self) -> CheatSheet {
        view::CHEAT_SHEET
    }
    fn scenarios(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (
                "counter-partition.json",
                include_str!("../../../assets/scenarios/counter-partition.json"),
            ),
            (
                "broken-counter.json",
                include_str!("../../../assets/scenarios/broken-counter.json"),
            ),
        ]
    }
    fn lessons(&self) -> &'static [crate::protocol::Lesson] {
        lessons::LESSONS
    }
}

impl Model for EcCounter {
    type Actor = EcNode;
    type Checker = EcChecker;

    fn build(setup: &Setup) -> (Vec<EcNode>, EcChecker) {
        let shape = EcCounter::shape(setup);
        let variant = match setup.broken {
            Some("no-max") => node::Variant::NoMax,
            _ => node::Variant::Correct,
        };
        (
            EcNode::cluster(shape, variant, EcCounter::timing(setup)),
            EcChecker::new(shape.servers, shape.clients),
        )
    }

    /// Converged, with every fault healed and every scheduled action applied.
    fn finished(sim: &ProtocolEngine<Self>) -> bool {
        sim.checker().converged_at.is_some()
            && sim.faults().all_healed()
            && sim.pending_actions() == 0
    }

    /// The score is how long the servers stayed apart after the last client request.
    fn won_at(sim: &ProtocolEngine<Self>) -> Option<Tick> {
        let checker = sim.checker();
        match (checker.converged_at, checker.clients_done_at) {
            (Some(converged), Some(_)) if EcCounter::finished(sim) => Some(converged),
            _ => None,
        }
    }

    fn summarize(sim: &ProtocolEngine<Self>, summary: &mut Summary) {
        let checker = sim.checker();
        let end = RunEnd {
            tick: sim.now(),
            healed: sim.faults().all_healed() && sim.pending_actions() == 0,
            last_action_at: sim.last_action_at(),
            grace: EcCounter::sync_grace(sim),
        };
        let (status, reason) = match checker.finish(&end, &mut summary.violations) {
            Convergence::Converged(_) => ("converged", None),
            Convergence::NotConverged(reason) => ("not_converged", Some(reason)),
            Convergence::Diverged => ("diverged", None),
        };
        summary.decided = checker.converged_at.is_some();
        summary.decision_tick = checker.converged_at;
        summary.value = checker
            .converged_at
            .map(|_| checker.max_acknowledged.to_string());
        let details = &mut summary.details;
        details.set("converged", summary.decided);
        details.set("status", status);
        if let Some(reason) = reason {
            details.set("reason", reason);
        }
        if let Some(tick) = checker.converged_at {
            details.set("converged_tick", tick);
        }
        details.set("final_values", &checker.values);
        details.set("max_acknowledged", checker.max_acknowledged);
    }

    fn node_view(sim: &ProtocolEngine<Self>, setup: &Setup, node: NodeId) -> NodeView {
        view::node(sim, EcCounter::shape(setup), node)
    }

    fn message_look(setup: &Setup, message: &InFlight<Msg>) -> MessageLook {
        view::message(EcCounter::shape(setup), message)
    }

    fn note_text(note: &Note) -> Option<String> {
        view::note(note)
    }

    fn mark(event: &Event<EcNode>) -> Option<(NodeId, MarkKind, String)> {
        view::mark(event)
    }

    fn checks(sim: &ProtocolEngine<Self>, setup: &Setup) -> Checks {
        view::checks(sim, EcCounter::shape(setup))
    }

    fn caption(
        _sim: &ProtocolEngine<Self>,
        setup: &Setup,
        step: &[Traced<EcNode>],
    ) -> Option<String> {
        view::caption(setup, step)
    }

    fn results(sim: &ProtocolEngine<Self>, _setup: &Setup, outcome: &Outcome) -> ResultsView {
        view::results(sim, outcome)
    }

    /// A set asks its server to keep a value; the replies are what clients count on.
    fn aim(message: &Msg) -> Aim {
        match message {
            Msg::Set { .. } => Aim::Commit,
            Msg::Value { .. } | Msg::SetDone { .. } => Aim::Vote,
            Msg::Get { .. } | Msg::Sync { .. } => Aim::Other,
        }
    }

    fn clients_paused(sim: &ProtocolEngine<Self>) -> Option<bool> {
        Some(
            sim.actors()
                .iter()
                .filter_map(EcNode::as_client)
                .any(|c| c.paused),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Action, TimedAction};
    use crate::simulation::Simulation;

    #[test]
    fn the_player_may_kill_all_servers_but_one_and_no_client() {
        for servers in 2..=7 {
            let mut setup = Setup::for_mode(MODE);
            setup.set_knob("servers", servers).unwrap();
            let servers = servers as usize;
            assert_eq!(setup.max_down(), servers - 1);
            let kill = |node| TimedAction {
                at: 1,
                action: Action::Kill { node },
            };
            setup.actions = vec![kill(servers - 1)];
            assert_eq!(setup.validate(), Ok(()));
            setup.actions = vec![kill(servers)];
            let refusal = setup.validate().unwrap_err();
            assert!(refusal.problem.contains("is a client"), "{refusal}");
        }
    }

    #[test]
    fn the_setup_reaches_every_node() {
        let mut setup = Setup::for_mode(MODE);
        for (field, value) in [
            ("servers", 3),
            ("clients", 4),
            ("requests", 9),
            ("ec_counter.sync_period", 11),
            ("ec_counter.retry_timeout", 22),
            ("ec_counter.think_time", 33),
        ] {
            setup.set_knob(field, value).unwrap();
        }
        setup.broken = Some("no-max");
        let (nodes, checker) = EcCounter::build(&setup);
        let timing = EcTiming {
            sync_period: 11,
            retry_timeout: 22,
            think_time: 33,
        };
        assert_eq!(nodes.len(), 7);
        assert_eq!(checker.values, [0, 0, 0]);
        for node in &nodes {
            match node {
                EcNode::Server(s) => {
                    assert_eq!((s.timing, s.variant), (timing, node::Variant::NoMax))
                }
                EcNode::Client(c) => assert_eq!((c.timing, c.total), (timing, 9)),
            }
        }
    }

    #[test]
    fn a_round_ends_once_converged_healed_and_every_scheduled_action_applied() {
        let mut setup = Setup::for_mode(MODE);
        setup.set_knob("requests", 5).unwrap();
        let slow = |at, factor| TimedAction {
            at,
            action: Action::Slow { node: 0, factor },
        };
        setup.actions = vec![slow(50_000, 2), slow(60_000, 1)];
        let mut simulation = Simulation::new(&setup, false);
        simulation.run_until(40_000);
        let converged = simulation.of::<EcCounter>().unwrap().checker().converged_at;
        assert!(
            converged.is_some(),
            "five requests per client are done long before"
        );
        assert!(
            !simulation.engine().finished(),
            "a slow-down is still to come"
        );
        assert_eq!(simulation.engine().won_at(), None);
        simulation.run_until(55_000);
        assert!(!simulation.engine().finished(), "server 0 is slowed");
        assert_eq!(simulation.engine().won_at(), None);
        simulation.run_until(60_000);
        assert!(simulation.engine().finished());
        let checker = simulation.of::<EcCounter>().unwrap().checker();
        assert!(checker.clients_done_at.is_some());
        assert_eq!(simulation.engine().won_at(), converged);
    }

    #[test]
    fn pausing_reaches_every_client() {
        let setup = Setup::for_mode(MODE);
        let mut simulation = Simulation::new(&setup, false);
        assert_eq!(simulation.engine().clients_paused(), Some(false));
        simulation.apply(Action::PauseClients).unwrap();
        assert_eq!(simulation.engine().clients_paused(), Some(true));
        let sim = simulation.of::<EcCounter>().unwrap();
        let clients: Vec<&Client> = sim.actors().iter().filter_map(EcNode::as_client).collect();
        assert_eq!(clients.len(), 5);
        assert!(clients.iter().all(|c| c.paused));
        assert_eq!(sim.actors().iter().filter_map(EcNode::as_server).count(), 3);
        simulation.apply(Action::ResumeClients).unwrap();
        assert_eq!(simulation.engine().clients_paused(), Some(false));
    }

    #[test]
    fn the_event_log_tells_each_new_value_and_each_finished_client() {
        let mut setup = Setup::for_mode(MODE);
        setup.set_knob("requests", 3).unwrap();
        let (_, simulation) = crate::simulation::run(&setup, true);
        let log = simulation.engine().log_lines(&setup, 0);
        let mut told = 0;
        for traced in simulation.of::<EcCounter>().unwrap().trace() {
            let crate::sim::Event::Note { node, note } = &traced.event else {
                continue;
            };
            let words = match note {
                Note::ServerValue { value } => format!("server {node} now holds {value}"),
                Note::ClientDone => format!("client {node} finished"),
                Note::SetAcknowledged { .. } | Note::GetAnswered { .. } => continue,
            };
            let line = log
                .iter()
                .find(|l| l.tick == traced.tick && l.text.starts_with(&words));
            assert!(
                line.is_some_and(|l| l.node == Some(*node)),
                "no line `{words}`"
            );
            told += 1;
        }
        assert!(told > 5, "only {told} lines");
    }
}
