//! What the player sees, computed from the simulation without any rendering: node positions,
//! node and message appearance, and event-log lines. The Bevy views draw exactly this, which keeps
//! them thin and lets this be tested headless.

use crate::check::Violation;
use crate::protocols::ec_counter::{EcNode, Msg as EcMsg, Note as EcNote, Op};
use crate::protocols::paxos::{Msg as PaxosMsg, Note as PaxosNote, PaxosNode};
use crate::protocols::{node_letter, node_name};
use crate::run::Simulation;
use crate::scenario::{Mode, Setup};
use crate::sim::{Actor, DropReason, Event, MsgId, NodeId, Tick, Traced};

/// sRGB colours by node index, after Okabe & Ito's colour-blind-safe palette (plus pink and white
/// for clusters of 8 and 9). Every node also carries its letter, so colour is never the only cue.
pub const PALETTE: [[u8; 3]; 9] = [
    [0xD5, 0x5E, 0x00], // red (vermillion)
    [0x00, 0x9E, 0x73], // green (bluish green)
    [0x00, 0x72, 0xB2], // blue
    [0xE6, 0x9F, 0x00], // orange
    [0xCC, 0x79, 0xA7], // purple (reddish purple)
    [0xF0, 0xE4, 0x42], // yellow
    [0x56, 0xB4, 0xE9], // sky
    [0xFF, 0x9D, 0xC8], // pink
    [0xE8, 0xE8, 0xE8], // white
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Paxos,
    Server,
    Client,
}

/// Where a node sits and how big it is, in world units (origin at the centre, y up).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Place {
    pub x: f32,
    pub y: f32,
    pub radius: f32,
}

/// Positions of every node: Paxos nodes on a circle from the top, clockwise; counter servers on
/// an inner circle with their clients fanned out behind them.
pub fn layout(setup: &Setup) -> Vec<Place> {
    let at = |angle: f32, distance: f32, radius: f32| Place {
        x: distance * angle.cos(),
        y: distance * angle.sin(),
        radius,
    };
    let around = |i: usize, n: usize| {
        std::f32::consts::FRAC_PI_2 - std::f32::consts::TAU * i as f32 / n as f32
    };
    match setup.mode {
        Mode::Paxos => (0..setup.nodes)
            .map(|i| at(around(i, setup.nodes), 250.0, 44.0))
            .collect(),
        Mode::EcCounter => {
            let shape = setup.ec;
            let servers = (0..shape.servers).map(|s| at(around(s, shape.servers), 150.0, 48.0));
            let clients = (shape.servers..shape.nodes()).map(|c| {
                let server = shape.server_of(c);
                let siblings = (shape.servers..shape.nodes())
                    .filter(|o| shape.server_of(*o) == server)
                    .count();
                let rank = (c - shape.servers) / shape.servers;
                // Fan the clients of one server across at most the server's share of the circle.
                let share = std::f32::consts::TAU / shape.servers as f32 * 0.8;
                let step = (share / siblings as f32).min(0.45);
                let offset = (rank as f32 - (siblings as f32 - 1.0) / 2.0) * step;
                at(around(server, shape.servers) + offset, 330.0, 22.0)
            });
            servers.chain(clients).collect()
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeView {
    pub id: NodeId,
    pub kind: NodeKind,
    /// "red", "server 1", "client 4".
    pub title: String,
    /// Drawn on the node: "R", "1", "c4".
    pub mark: String,
    /// Index into [`PALETTE`].
    pub colour: usize,
    pub down: bool,
    pub slow: u32,
    /// The ballot this node leads, if it is a proposer now.
    pub leading: Option<String>,
    /// What this node decided (Paxos), or the value all servers converged on (ec-counter).
    pub decided: Option<String>,
    pub drop_armed: bool,
    /// The big number on a counter server.
    pub value: Option<u64>,
    /// Small text under the node.
    pub status: Vec<String>,
}

pub fn nodes(simulation: &Simulation, setup: &Setup) -> Vec<NodeView> {
    match simulation {
        Simulation::Paxos(sim) => sim
            .actors()
            .iter()
            .map(|n| paxos_node(n, simulation))
            .collect(),
        Simulation::EcCounter(sim) => sim
            .actors()
            .iter()
            .map(|n| ec_node(n, simulation, setup))
            .collect(),
    }
}

fn base_view(
    id: NodeId,
    kind: NodeKind,
    title: String,
    mark: String,
    colour: usize,
    simulation: &Simulation,
) -> NodeView {
    NodeView {
        id,
        kind,
        title,
        mark,
        colour,
        down: simulation.is_down(id),
        slow: simulation.slow_factor(id),
        leading: None,
        decided: None,
        drop_armed: simulation.drop_armed(id),
        value: None,
        status: Vec::new(),
    }
}

fn accepted_text(accepted: Option<(crate::protocols::paxos::Ballot, usize)>) -> String {
    accepted.map_or("-".into(), |(b, v)| format!("{b}={}", node_name(v)))
}

fn paxos_node(node: &PaxosNode, simulation: &Simulation) -> NodeView {
    let id = node.id;
    let mut view = base_view(
        id,
        NodeKind::Paxos,
        node_name(id).into(),
        node_letter(id).into(),
        id,
        simulation,
    );
    view.leading = node.leading().map(|b| b.to_string());
    view.decided = node.decided.map(|(_, v)| node_name(v).to_string());
    let phase = if view.down { "down" } else { node.phase() };
    view.status = vec![
        phase.to_string(),
        format!("promised {}", node.promised),
        format!("accepted {}", accepted_text(node.accepted)),
    ];
    view
}

fn ec_node(node: &EcNode, simulation: &Simulation, setup: &Setup) -> NodeView {
    match node {
        EcNode::Server(s) => {
            let mut view = base_view(
                s.id,
                NodeKind::Server,
                format!("server {}", s.id),
                s.id.to_string(),
                s.id,
                simulation,
            );
            view.value = Some(s.value);
            if let Simulation::EcCounter(sim) = simulation {
                view.decided = sim.checker().converged_at.map(|_| s.value.to_string());
            }
            view.status = vec![match s.last_ignored {
                Some(v) => format!("ignored set({v})"),
                None => String::new(),
            }];
            if view.down {
                view.status[0] = "down".into();
            }
            view
        }
        EcNode::Client(c) => {
            let server = setup.ec.server_of(c.id);
            let mut view = base_view(
                c.id,
                NodeKind::Client,
                format!("client {}", c.id),
                format!("c{}", c.id),
                server,
                simulation,
            );
            let last = match &c.last {
                None => String::new(),
                Some((Op::Get, v)) => format!("get -> {v}"),
                Some((Op::Set(x), v)) => format!("set({x}) -> {v}"),
            };
            let progress = if c.paused {
                format!("{}/{} paused", c.completed, c.total)
            } else {
                format!("{}/{}", c.completed, c.total)
            };
            view.status = vec![progress, last];
            view
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageShape {
    /// Client traffic and Paxos messages.
    Round,
    /// Server-to-server sync.
    Diamond,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MessageView {
    pub id: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    /// 0 at the sender, 1 at the receiver.
    pub progress: f32,
    pub doomed: bool,
    pub label: String,
    pub colour: usize,
    pub shape: MessageShape,
}

/// Every message in flight at `now` (fractional ticks allowed, for smooth animation).
pub fn messages(simulation: &Simulation, setup: &Setup, now: f64) -> Vec<MessageView> {
    let progress = |sent: Tick, arrives: Tick, doomed: bool| {
        let full = if doomed {
            (arrives - sent) * 2
        } else {
            arrives - sent
        };
        if full == 0 {
            1.0
        } else {
            ((now - sent as f64) / full as f64).clamp(0.0, 1.0) as f32
        }
    };
    match simulation {
        Simulation::Paxos(sim) => sim
            .in_flight()
            .map(|m| MessageView {
                id: m.id,
                from: m.from,
                to: m.to,
                progress: progress(m.sent, m.arrives, m.doomed),
                doomed: m.doomed,
                label: paxos_label(&m.msg),
                colour: m.msg.leader_ballot().node,
                shape: MessageShape::Round,
            })
            .collect(),
        Simulation::EcCounter(sim) => sim
            .in_flight()
            .map(|m| {
                let sync = matches!(m.msg, EcMsg::Sync { .. });
                // Colour client traffic by the server it concerns; syncs by their sender.
                let server = if setup.ec.is_server(m.from) && (sync || !setup.ec.is_server(m.to)) {
                    m.from
                } else {
                    m.to
                };
                MessageView {
                    id: m.id,
                    from: m.from,
                    to: m.to,
                    progress: progress(m.sent, m.arrives, m.doomed),
                    doomed: m.doomed,
                    label: m.msg.label(),
                    colour: server.min(setup.ec.servers - 1),
                    shape: if sync {
                        MessageShape::Diamond
                    } else {
                        MessageShape::Round
                    },
                }
            })
            .collect(),
    }
}

fn paxos_label(msg: &PaxosMsg) -> String {
    msg.kind().to_string()
}

/// Ids of the messages lost (dropped, cut off, or sent to a down node) in trace entries `from..`.
pub fn lost_since(simulation: &Simulation, from: usize) -> Vec<MsgId> {
    crate::with_sim!(simulation, sim => sim.trace()[from.min(sim.trace().len())..]
        .iter()
        .filter_map(|t| if let Event::Drop { id, .. } = t.event { Some(id) } else { None })
        .collect())
}

/// What kind of line the event log shows (the HUD colours them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogKind {
    Player,
    Protocol,
    Fault,
    Violation,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub tick: Tick,
    pub kind: LogKind,
    /// The node the line is about, for its colour.
    pub node: Option<NodeId>,
    pub text: String,
}

/// Log lines for trace entries `from..` (sends and deliveries are left to the animation).
pub fn log_lines(simulation: &Simulation, setup: &Setup, from: usize) -> Vec<LogLine> {
    match simulation {
        Simulation::Paxos(sim) => sim.trace()[from.min(sim.trace().len())..]
            .iter()
            .filter_map(|t| describe(t, paxos_note, |node| node_name(node).to_string()))
            .collect(),
        Simulation::EcCounter(sim) => sim.trace()[from.min(sim.trace().len())..]
            .iter()
            .filter_map(|t| {
                describe(t, ec_note, |node| {
                    if setup.ec.is_server(node) {
                        format!("server {node}")
                    } else {
                        format!("client {node}")
                    }
                })
            })
            .collect(),
    }
}

fn describe<A: Actor>(
    traced: &Traced<A>,
    note: impl Fn(&A::Note) -> Option<String>,
    name: impl Fn(NodeId) -> String,
) -> Option<LogLine> {
    let line = |kind, node, text| {
        Some(LogLine {
            tick: traced.tick,
            kind,
            node,
            text,
        })
    };
    match &traced.event {
        Event::Send { .. } | Event::Deliver { .. } | Event::Timer { .. } => None,
        Event::Drop {
            from, to, reason, ..
        } => {
            let why = match reason {
                DropReason::LinkCut => "the link is cut",
                DropReason::ReceiverDown => "the receiver is down",
                DropReason::Player => "dropped",
            };
            line(
                LogKind::Fault,
                Some(*from),
                format!("message {} -> {} lost: {why}", name(*from), name(*to)),
            )
        }
        Event::Action { action } => line(LogKind::Player, None, action_text(action, &name)),
        Event::Refused { reason, .. } => line(LogKind::Fault, None, format!("refused: {reason}")),
        Event::Note { node, note: n } => note(n).map(|text| LogLine {
            tick: traced.tick,
            kind: LogKind::Protocol,
            node: Some(*node),
            text: format!("{} {text}", name(*node)),
        }),
        Event::Violation {
            violation: Violation { kind, detail, .. },
        } => line(
            LogKind::Violation,
            None,
            format!("VIOLATION ({kind}): {detail}"),
        ),
    }
}

fn action_text(action: &crate::sim::Action, name: &impl Fn(NodeId) -> String) -> String {
    use crate::sim::Action::*;
    match action {
        Kill { node } => format!("{} killed", name(*node)),
        Recover { node } => format!("{} recovered", name(*node)),
        Slow { node, factor: 1 } => format!("{} back to normal speed", name(*node)),
        Slow { node, factor } => format!("{} slowed x{factor}", name(*node)),
        Cut { from, to, .. } => format!("link {} - {} cut", name(*from), name(*to)),
        Heal { from, to } => format!("link {} - {} healed", name(*from), name(*to)),
        Partition { groups } => {
            let groups: Vec<String> = groups
                .iter()
                .map(|g| g.iter().map(|n| name(*n)).collect::<Vec<_>>().join(", "))
                .collect();
            format!("partition: {}", groups.join(" | "))
        }
        HealAll => "network healed".into(),
        Drop { .. } => "a message is dropped".into(),
        DropNext { from } => format!("the next message from {} will be dropped", name(*from)),
        PauseClients => "clients paused".into(),
        ResumeClients => "clients resumed".into(),
    }
}

fn paxos_note(note: &PaxosNote) -> Option<String> {
    Some(match note {
        PaxosNote::BallotStarted { ballot } => format!("starts ballot {ballot} (phase 1)"),
        PaxosNote::Proposed { ballot, value } => format!(
            "proposes {} at ballot {ballot} (phase 2)",
            node_name(*value)
        ),
        PaxosNote::Accepted { .. } => return None,
        PaxosNote::Decided { value } => format!("decides {}", node_name(*value)),
    })
}

fn ec_note(note: &EcNote) -> Option<String> {
    match note {
        EcNote::ServerValue { value } => Some(format!("now holds {value}")),
        EcNote::ClientDone => Some("finished its requests".into()),
        EcNote::SetAcknowledged { .. } | EcNote::GetAnswered { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_keep_nodes_apart() {
        for (mode, sizes) in [(Mode::Paxos, 3..=9), (Mode::EcCounter, 2..=7)] {
            for size in sizes {
                let mut setup = Setup::for_mode(mode);
                setup.nodes = size;
                setup.ec.servers = size;
                setup.ec.clients = 12;
                let places = layout(&setup);
                assert_eq!(places.len(), setup.cluster_size());
                for (i, a) in places.iter().enumerate() {
                    for b in &places[i + 1..] {
                        let gap = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
                            - a.radius
                            - b.radius;
                        assert!(gap > 4.0, "{mode:?} {size}: nodes overlap ({gap})");
                    }
                }
            }
        }
    }

    #[test]
    fn paxos_views_follow_the_simulation() {
        let setup = Setup::default();
        let mut simulation = Simulation::new(&setup, true);
        simulation
            .apply(crate::sim::Action::Kill { node: 2 })
            .unwrap();
        simulation.run_until(5_000);
        let views = nodes(&simulation, &setup);
        assert_eq!(
            views.iter().map(|v| v.mark.as_str()).collect::<Vec<_>>(),
            ["R", "G", "B"]
        );
        assert!(views[2].down && views[2].status[0] == "down");
        assert!(views[0].decided.is_some() || views[1].decided.is_some());
        let log = log_lines(&simulation, &setup, 0);
        assert!(
            log.iter()
                .any(|l| l.text == "blue killed" && l.kind == LogKind::Player)
        );
        assert!(log.iter().any(|l| l.text.contains("starts ballot")));
        assert!(log.iter().any(|l| l.text.contains("decides")));
    }

    #[test]
    fn messages_take_their_leaders_colour_and_move_along() {
        let setup = Setup::default();
        let mut simulation = Simulation::new(&setup, true);
        while simulation.in_flight_count() == 0 {
            simulation.run_until(simulation.now() + 1);
        }
        let now = simulation.now() as f64;
        let first = messages(&simulation, &setup, now);
        let later = messages(&simulation, &setup, now + 30.0);
        for (a, b) in first.iter().zip(&later) {
            assert_eq!(a.label, "p1a");
            assert_eq!(a.colour, a.from, "a prepare carries its sender's ballot");
            assert!(b.progress > a.progress);
        }
    }

    #[test]
    fn counter_views_show_values_progress_and_syncs() {
        let setup = Setup::for_mode(Mode::EcCounter);
        let mut simulation = Simulation::new(&setup, true);
        simulation.run_until(1_000);
        let views = nodes(&simulation, &setup);
        assert_eq!(views.len(), 8);
        assert!(
            views[..3]
                .iter()
                .all(|v| v.kind == NodeKind::Server && v.value.is_some())
        );
        let client = &views[3];
        assert_eq!(
            (client.kind, client.colour, client.mark.as_str()),
            (NodeKind::Client, 0, "c3")
        );
        assert!(client.status[0].ends_with("/100"));
        while !messages(&simulation, &setup, simulation.now() as f64)
            .iter()
            .any(|m| m.shape == MessageShape::Diamond)
        {
            simulation.run_until(simulation.now() + 1);
        }
        let sync = messages(&simulation, &setup, simulation.now() as f64)
            .into_iter()
            .find(|m| m.shape == MessageShape::Diamond)
            .unwrap();
        assert!(sync.label.starts_with("sync(") && sync.colour == sync.from);
    }
}
