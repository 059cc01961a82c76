//! What ec-counter looks like and how it is explained: servers with their values, clients with
//! their progress, message labels, log lines, the live checks, the results and the cheat sheet.

use super::EcCounter;
use super::node::{EcNode, EcShape, Msg, Note, Op};
use crate::diagram::MarkKind;
use crate::protocol::{Outcome, ProtocolEngine, Setup, base_view};
use crate::sim::{Event, InFlight, NodeId, Traced};
use crate::view::{
    CheatSheet, CheckLine, CheckStatus, Checks, MessageLook, MessageShape, NodeView, Place,
    ResultsView, caught, clockwise_from_top, seconds,
};

pub const PITCH: &str = "Servers each hold a number; clients write to their own server, which \
    keeps the larger value, and servers sync with each other. Attack it: partition the servers and \
    watch them diverge. Your score is how much later they converge than they would have left alone. \
    What you can never do is stop them converging once the network heals.";

pub const CHEAT_SHEET: CheatSheet = CheatSheet {
    intro: None,
    rows: &[
        ("get", "a client asks its server for the value"),
        (
            "set(v)",
            "applied only if v is larger than the server's value",
        ),
        ("reply(v)", "the server's value after the request"),
        ("sync(v)", "servers gossip their value; the larger wins"),
    ],
};

/// Why the counter converges whatever the player does.
pub const WHY_IT_CONVERGED: &str = "Why: a sync can only raise a server's value, and never above \
    the largest value written. Once the network heals, every server hears the maximum within one \
    sync period, and no server ever lets go of it.";

/// Servers on an inner circle, each one's clients fanned out behind it.
pub fn layout(shape: EcShape) -> Vec<Place> {
    let servers = (0..shape.servers).map(|s| Place {
        shows_value: true,
        ..Place::polar(clockwise_from_top(s, shape.servers), 150.0, 48.0)
    });
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
        Place::polar(
            clockwise_from_top(server, shape.servers) + offset,
            330.0,
            22.0,
        )
    });
    servers.chain(clients).collect()
}

pub fn node(sim: &ProtocolEngine<EcCounter>, shape: EcShape, id: NodeId) -> NodeView {
    match &sim.actors()[id] {
        EcNode::Server(s) => {
            let mut view = base_view(
                sim,
                s.id,
                format!("server {}", s.id),
                s.id.to_string(),
                s.id,
            );
            view.value = Some(s.value);
            view.done = sim
                .checker()
                .converged_at
                .map(|_| ("CONVERGED", s.value.to_string()));
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
            let server = shape.server_of(c.id);
            let mut view = base_view(
                sim,
                c.id,
                format!("client {}", c.id),
                format!("c{}", c.id),
                server,
            );
            view.light = true;
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
            view.inspector = vec![("bound to".into(), format!("server {server}"))];
            view
        }
    }
}

/// Client traffic takes the colour of the server it concerns; syncs, their sender's (diamonds).
pub fn message(shape: EcShape, m: &InFlight<Msg>) -> MessageLook {
    let sync = matches!(m.msg, Msg::Sync { .. });
    let server = if shape.is_server(m.from) && (sync || !shape.is_server(m.to)) {
        m.from
    } else {
        m.to
    };
    MessageLook {
        label: m.msg.label(),
        colour: server.min(shape.servers - 1),
        shape: if sync {
            MessageShape::Diamond
        } else {
            MessageShape::Round
        },
        light: false,
    }
}

pub fn note(note: &Note) -> Option<String> {
    match note {
        Note::ServerValue { value } => Some(format!("now holds {value}")),
        Note::ClientDone => Some("finished its requests".into()),
        Note::SetAcknowledged { .. } | Note::GetAnswered { .. } => None,
    }
}

pub fn checks(sim: &ProtocolEngine<EcCounter>, shape: EcShape) -> Checks {
    let violations = sim.violations();
    let checker = sim.checker();
    let done = format!("clients done {}/{}", checker.clients_done, shape.clients);
    let convergence = match checker.converged_at {
        Some(t) => CheckLine::new(
            CheckStatus::Reached,
            format!(
                "converged at t={} on {}",
                seconds(t),
                checker.max_acknowledged
            ),
        ),
        None => CheckLine::new(
            CheckStatus::Waiting,
            format!("not converged: spread {} ({done})", checker.spread()),
        ),
    };
    Checks {
        heading: "Live checks",
        lines: vec![
            CheckLine::property(
                !caught(violations, "monotonicity"),
                "server values never decrease",
            ),
            CheckLine::property(
                !caught(violations, "stale-read"),
                "gets return at least what was acknowledged",
            ),
            convergence,
            CheckLine::new(
                CheckStatus::Info,
                format!("largest acknowledged set: {}", checker.max_acknowledged),
            ),
        ],
        gauge: Some(("spread (max - min) over time", checker.spread())),
    }
}

pub fn results(sim: &ProtocolEngine<EcCounter>, outcome: &Outcome) -> ResultsView {
    let checker = sim.checker();
    ResultsView {
        title: "Converged",
        headline: format!("All servers hold {}", checker.max_acknowledged),
        headline_colour: None,
        lines: vec![
            format!(
                "final values {:?}, largest write {}",
                checker.values, checker.max_acknowledged
            ),
            format!(
                "converged at t={}, {} after the last client request",
                seconds(outcome.tick),
                seconds(
                    outcome
                        .tick
                        .saturating_sub(checker.clients_done_at.unwrap_or(outcome.tick))
                )
            ),
        ],
        verdict: sim
            .violations()
            .is_empty()
            .then(|| (true, "Every check held.".to_string())),
        why: WHY_IT_CONVERGED,
    }
}

/// The milestones of the counter on the space-time diagram: a server's value changing, a client
/// finishing (the diagram itself marks when every server holds the same value again).
pub fn mark(event: &Event<EcNode>) -> Option<(NodeId, MarkKind, String)> {
    match event {
        Event::Note {
            node,
            note: Note::ServerValue { value },
        } => Some((*node, MarkKind::Value(*value), format!("now holds {value}"))),
        Event::Note {
            node,
            note: Note::ClientDone,
        } => Some((*node, MarkKind::Done, "finished its requests".into())),
        _ => None,
    }
}

/// One ec-counter step in plain words (see [`crate::protocol::Model::caption`]).
pub fn caption(setup: &Setup, step: &[Traced<EcNode>]) -> Option<String> {
    let name = |n: NodeId| setup.mode.node_name(setup, n);
    // A server's answer to a set or a get: the note says what it did, the send to whom.
    let answered = step.iter().find_map(|t| match &t.event {
        Event::Send {
            to,
            msg: Msg::SetDone { .. } | Msg::Value { .. },
            ..
        } => Some(*to),
        _ => None,
    });
    // A sync received: the delivery says from whom.
    let synced_from = step.iter().find_map(|t| match &t.event {
        Event::Deliver { from, .. } if answered.is_none() => Some(*from),
        _ => None,
    });
    step.iter().find_map(|traced| match &traced.event {
        Event::Note { node, note } => match *note {
            Note::SetAcknowledged {
                value,
                applied,
                holding,
            } => {
                let client = answered.map_or_else(|| "a client".to_string(), name);
                Some(if !applied {
                    format!(
                        "{} ignores set({value}) from {client}: it holds {holding}, which is \
                         larger, and a counter only grows.",
                        name(*node)
                    )
                } else if value == holding && setup.broken.is_some() {
                    format!(
                        "{} sets {value} for {client} without checking that it is larger \
                         (the broken rule): a value can now go down.",
                        name(*node)
                    )
                } else {
                    format!(
                        "{} sets {value} for {client}: it is larger than what it held.",
                        name(*node)
                    )
                })
            }
            Note::GetAnswered { value } => Some(format!(
                "{} tells {} its value is {value}.",
                name(*node),
                answered.map_or_else(|| "a client".to_string(), name)
            )),
            Note::ServerValue { value } => synced_from.map(|from| {
                format!(
                    "{} hears {value} from {} in a sync and keeps it: it is larger than its own.",
                    name(*node),
                    name(from)
                )
            }),
            Note::ClientDone => Some(format!("{} has sent all its requests.", name(*node))),
        },
        Event::Send { from, to, msg, .. } => match *msg {
            Msg::Set { value, .. } => Some(format!(
                "{} asks {} to set {value}.",
                name(*from),
                name(*to)
            )),
            Msg::Get { .. } => Some(format!("{} asks {} for its value.", name(*from), name(*to))),
            Msg::Sync { value } => Some(format!(
                "{} tells the other servers it holds {value}: servers sync now and then, so \
                 that all end up with the largest value.",
                name(*from)
            )),
            _ => None,
        },
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use crate::protocol::Setup;
    use crate::protocols::ec_counter::MODE;
    use crate::simulation::Simulation;
    use crate::view::MessageShape;

    #[test]
    fn servers_and_their_clients_never_overlap() {
        for servers in 2..=7 {
            let mut setup = Setup::for_mode(MODE);
            setup.set_knob("servers", servers).unwrap();
            setup.set_knob("clients", 12).unwrap();
            crate::view::tests::assert_apart(&MODE.layout(&setup));
        }
    }

    #[test]
    fn counter_views_show_values_progress_and_syncs() {
        let setup = Setup::for_mode(MODE);
        let mut simulation = Simulation::new(&setup, true);
        simulation.run_until(1_000);
        let views = simulation.engine().node_views(&setup);
        assert_eq!(views.len(), 8);
        assert!(views[..3].iter().all(|v| !v.light && v.value.is_some()));
        let client = &views[3];
        assert_eq!(
            (client.light, client.colour, client.mark.as_str()),
            (true, 0, "c3")
        );
        assert!(client.status[0].ends_with("/100"));
        let sync = loop {
            let now = simulation.engine().now() as f64;
            if let Some(sync) = simulation
                .engine()
                .message_views(&setup, now)
                .into_iter()
                .find(|m| m.look.shape == MessageShape::Diamond)
            {
                break sync;
            }
            let now = simulation.engine().now();
            simulation.run_until(now + 1);
        };
        assert!(sync.look.label.starts_with("sync(") && sync.look.colour == sync.from);
    }
}
