//! What the player sees, as plain data: node places and looks, message looks, event-log lines, the
//! live checks and the results text. Each protocol fills these in (its `view.rs`); the Bevy views
//! only draw them, which keeps them thin and lets all of this be tested headless.

use crate::sim::{Action, DropReason, Event, MsgId, NodeId, Tick, Traced, Violation};

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

/// What lost messages are drawn in, on the cluster and in the diagram: a grey no node wears
/// (red is a node's colour, and down nodes are a darker grey).
pub const LOST_COLOUR: [u8; 3] = [0x70, 0x70, 0x78];

/// Colour names in palette order: red, green, blue first, as in the original game.
pub const COLOUR_NAMES: [&str; 9] = [
    "red", "green", "blue", "orange", "purple", "yellow", "sky", "pink", "white",
];

/// One letter per colour, shown on the node so that no one has to tell colours apart.
pub const COLOUR_LETTERS: [char; 9] = ['R', 'G', 'B', 'O', 'P', 'Y', 'S', 'K', 'W'];

/// The name of palette colour `index` (it repeats past 9).
pub fn colour_name(index: usize) -> &'static str {
    COLOUR_NAMES[index % COLOUR_NAMES.len()]
}

/// The letter of palette colour `index`.
pub fn colour_letter(index: usize) -> char {
    COLOUR_LETTERS[index % COLOUR_LETTERS.len()]
}

/// Where a node sits and how big it is, in world units (origin at the centre, y up).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Place {
    pub x: f32,
    pub y: f32,
    pub radius: f32,
    /// The node shows a number in its middle (a counter server's value); its mark moves above it.
    pub shows_value: bool,
    /// The node shows a log as a row of boxes (a Raft server's); its status moves outward to
    /// make room.
    pub shows_log: bool,
}

impl Place {
    /// A node `distance` from the centre at `angle` (radians, counter-clockwise from +x).
    pub fn polar(angle: f32, distance: f32, radius: f32) -> Place {
        Place {
            x: distance * angle.cos(),
            y: distance * angle.sin(),
            radius,
            shows_value: false,
            shows_log: false,
        }
    }
}

/// The angle of the `i`th of `n` places on a circle: from the top, clockwise.
pub fn clockwise_from_top(i: usize, n: usize) -> f32 {
    std::f32::consts::FRAC_PI_2 - std::f32::consts::TAU * i as f32 / n as f32
}

/// How a node looks now.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeView {
    pub id: NodeId,
    /// "red", "server 2", "client 5".
    pub title: String,
    /// Drawn on the node: "R", "2", "c5".
    pub mark: String,
    /// Palette index.
    pub colour: usize,
    /// Drawn in a lighter shade (counter clients).
    pub light: bool,
    pub down: bool,
    pub slow: u32,
    /// The ballot it leads, if any.
    pub leading: Option<String>,
    /// What a node that is done settled on, and the word for it: ("DECIDED", "green"),
    /// ("CONVERGED", "913").
    pub done: Option<(&'static str, String)>,
    pub drop_armed: bool,
    /// The big number in the middle (a counter server's value).
    pub value: Option<u64>,
    /// Small text under the node.
    pub status: Vec<String>,
    /// Rows of the side panel's node inspector: (what, value).
    pub inspector: Vec<(String, String)>,
    /// Its log, oldest entry first, drawn as a row of boxes (empty for a node that keeps none).
    pub log: Vec<LogEntryView>,
    /// The fraction of its timeout left (1 just armed, 0 due), drawn as a ring that shrinks; none
    /// when no timer is worth showing (a leader, a down node).
    pub timer: Option<f32>,
    /// The player may submit a client command here ([`Action::Submit`]): a Raft server.
    pub takes_commands: bool,
}

/// One entry of a node's log, as the row of boxes draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogEntryView {
    /// The term (or epoch) it was written in: it picks the box's colour ([`term_colour`]).
    pub term: u64,
    /// Committed entries are drawn solid, the rest hollow.
    pub committed: bool,
}

/// sRGB colours of log entries by term, after Paul Tol's "light" scheme: light, so that they
/// read on the dark background, and told apart from each other; they repeat after eight terms.
pub const TERM_COLOURS: [[u8; 3]; 8] = [
    [0x77, 0xAA, 0xDD], // light blue
    [0xEE, 0x88, 0x66], // orange
    [0xEE, 0xDD, 0x88], // light yellow
    [0x44, 0xBB, 0x99], // mint
    [0xFF, 0xAA, 0xBB], // pink
    [0x99, 0xDD, 0xFF], // light cyan
    [0xBB, 0xCC, 0x33], // pear
    [0xAA, 0xAA, 0x00], // olive
];

/// The colour of a log entry of `term` (term 1 takes the first).
pub fn term_colour(term: u64) -> [u8; 3] {
    TERM_COLOURS[(term.saturating_sub(1) % TERM_COLOURS.len() as u64) as usize]
}

/// The one-line badge over a node: the most important thing about it right now.
pub fn badge(view: &NodeView) -> String {
    let mut parts = Vec::new();
    if view.down {
        parts.push("DOWN".to_string());
    }
    if let Some((word, value)) = &view.done {
        parts.push(format!("{word} {value}"));
    } else if let Some(ballot) = &view.leading {
        parts.push(format!("LEADER {ballot}"));
    }
    if view.slow > 1 {
        parts.push(format!("SLOW x{}", view.slow));
    }
    if view.drop_armed {
        parts.push("DROP NEXT".into());
    }
    parts.join("  ")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageShape {
    Round,
    /// Server-to-server traffic in ec-counter.
    Diamond,
}

/// How a protocol wants one of its messages drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageLook {
    pub label: String,
    /// Palette index: the leader whose ballot it carries, the server it concerns.
    pub colour: usize,
    pub shape: MessageShape,
    /// Routine traffic (Raft's heartbeats and their acks): drawn smaller and fainter, so that it
    /// does not drown the rest.
    pub light: bool,
}

/// What the network player can do now (`AnyEngine::network_choices`): the messages waiting on
/// their links and the timers that can fire. What the game draws as parked messages and timer
/// buttons; each entry names the move that acts on it (`round::Attack::Deliver(id)`,
/// `DeliverCopy(id)`, `Drop(id)`, `Fire(node, timer)`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NetworkChoices {
    /// Whether the network runs by itself for now (the player let it run).
    pub running: bool,
    /// By destination, and each destination's in the order they were sent.
    pub messages: Vec<WaitingMessage>,
    /// By node, and each node's in the order armed.
    pub timers: Vec<ArmedTimer>,
}

/// A message on its link, waiting for the network player.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WaitingMessage {
    pub id: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    pub sent: Tick,
    /// The message this one is a copy of, if the network made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy_of: Option<MsgId>,
    /// Whether delivering it now reaches its receiver (not doomed, link open, receiver up):
    /// otherwise it is lost on delivery.
    pub deliverable: bool,
    /// As its sprite is labelled: "p1a 1.R".
    pub label: String,
}

/// A timer the network player can fire.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ArmedTimer {
    pub node: NodeId,
    /// Which of the node's armed timers, in the order armed (`Attack::Fire(node, timer)`).
    pub timer: usize,
    /// As the trace writes it: "Election".
    pub name: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MessageView {
    pub id: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    /// 0 at the sender, 1 at the receiver.
    pub progress: f32,
    pub doomed: bool,
    /// A copy the network made (a `duplicate` attack), not something a node sent.
    pub duplicate: bool,
    pub look: MessageLook,
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
    /// The message the line is about (a loss, a copy), to highlight it elsewhere.
    pub message: Option<MsgId>,
    pub text: String,
}

/// The log line for one trace entry, if it gets one (sends and deliveries are left to the
/// animation). `note` words a protocol note; `name` names a node.
pub fn log_line<A: crate::sim::Actor>(
    traced: &Traced<A>,
    note: impl Fn(&A::Note) -> Option<String>,
    name: impl Fn(NodeId) -> String,
) -> Option<LogLine> {
    let message = match &traced.event {
        Event::Drop { id, .. } | Event::Duplicate { id, .. } => Some(*id),
        _ => None,
    };
    let line = |kind, node, text| {
        Some(LogLine {
            tick: traced.tick,
            kind,
            node,
            message,
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
                DropReason::Lost => "the network lost it",
            };
            line(
                LogKind::Fault,
                Some(*from),
                format!("message {} -> {} lost: {why}", name(*from), name(*to)),
            )
        }
        Event::Duplicate { from, to, .. } => line(
            LogKind::Fault,
            Some(*from),
            format!("message {} -> {} duplicated", name(*from), name(*to)),
        ),
        Event::Action { action } => line(LogKind::Player, None, action_text(action, &name)),
        Event::Refused { reason, .. } => line(LogKind::Fault, None, format!("refused: {reason}")),
        Event::Note { node, note: n } => note(n).map(|text| LogLine {
            tick: traced.tick,
            kind: LogKind::Protocol,
            node: Some(*node),
            message: None,
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

fn action_text(action: &Action, name: &impl Fn(NodeId) -> String) -> String {
    match action {
        Action::Kill { node } => format!("{} killed", name(*node)),
        Action::Recover { node } => format!("{} recovered", name(*node)),
        Action::Slow { node, factor: 1 } => format!("{} back to normal speed", name(*node)),
        Action::Slow { node, factor } => format!("{} slowed x{factor}", name(*node)),
        Action::Cut { from, to, .. } => format!("link {} - {} cut", name(*from), name(*to)),
        Action::Heal { from, to } => format!("link {} - {} healed", name(*from), name(*to)),
        Action::Partition { groups } => {
            let groups: Vec<String> = groups
                .iter()
                .map(|g| g.iter().map(|n| name(*n)).collect::<Vec<_>>().join(", "))
                .collect();
            format!("partition: {}", groups.join(" | "))
        }
        Action::HealAll => "network healed".into(),
        Action::Drop { .. } => "a message is dropped".into(),
        Action::DropNext { from } => {
            format!("the next message from {} will be dropped", name(*from))
        }
        Action::Duplicate { .. } => "a message is duplicated".into(),
        Action::DuplicateNext { from, .. } => {
            format!("the next message from {} will arrive twice", name(*from))
        }
        Action::Submit { node } => format!("a command submitted at {}", name(*node)),
        Action::PauseClients => "clients paused".into(),
        Action::ResumeClients => "clients resumed".into(),
        Action::Deliver { copy: false, .. } => "you deliver a message".into(),
        Action::Deliver { copy: true, .. } => "you deliver a copy of a message".into(),
        Action::Fire { node, .. } => format!("you fire {}'s timer", name(*node)),
        Action::Network { run: true } => "the network runs by itself".into(),
        Action::Network { run: false } => "the network waits for you".into(),
    }
}

/// One line of the live checks panel.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckLine {
    pub status: CheckStatus,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckStatus {
    /// A property that holds so far.
    Holds,
    /// A property the checker caught failing.
    Failed,
    /// Progress that is not there yet (not converged, nothing chosen).
    Waiting,
    /// Progress reached (converged).
    Reached,
    /// Plain information.
    Info,
}

impl CheckLine {
    pub fn property(holds: bool, text: impl Into<String>) -> CheckLine {
        let status = if holds {
            CheckStatus::Holds
        } else {
            CheckStatus::Failed
        };
        CheckLine {
            status,
            text: text.into(),
        }
    }

    pub fn new(status: CheckStatus, text: impl Into<String>) -> CheckLine {
        CheckLine {
            status,
            text: text.into(),
        }
    }
}

/// The live checks panel: a heading, its lines, and optionally a number worth plotting over time.
#[derive(Clone, Debug, PartialEq)]
pub struct Checks {
    pub heading: &'static str,
    pub lines: Vec<CheckLine>,
    /// (what, value now): the panel samples it into a small plot (the counter's spread).
    pub gauge: Option<(&'static str, u64)>,
}

/// Majorities worth seeing on the cluster (Paxos: the accept majority that chose the value, the
/// promise majority of the latest leader to finish phase 1), and the nodes in two of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Quorums {
    pub outlines: Vec<QuorumOutline>,
    /// Nodes in both outlined majorities, or in a promise majority and an earlier accept
    /// majority: the overlap that carries a chosen value forward.
    pub overlap: Vec<NodeId>,
    /// What the outlines show, in a sentence or two.
    pub legend: Vec<String>,
}

/// One outlined majority.
#[derive(Clone, Debug, PartialEq)]
pub struct QuorumOutline {
    pub kind: QuorumKind,
    /// Palette colour: the ballot's leader for a promise majority, the value for an accept
    /// majority.
    pub colour: usize,
    pub members: Vec<NodeId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuorumKind {
    /// The nodes that promised a ballot, which let its leader propose.
    Promised,
    /// The nodes that accepted a ballot: a majority, so its value is chosen.
    Accepted,
}

/// Whether any violation of `kind` was caught.
pub fn caught(violations: &[Violation], kind: &str) -> bool {
    violations.iter().any(|v| v.kind == kind)
}

/// The results panel once a round is over.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultsView {
    /// Window title: "Decided", "Converged".
    pub title: &'static str,
    pub headline: String,
    /// Palette index of the headline, if it names a node's value.
    pub headline_colour: Option<usize>,
    pub lines: Vec<String>,
    /// The safety verdict, and whether it held.
    pub verdict: Option<(bool, String)>,
    /// Why the protocol held (or what a broken one teaches).
    pub why: &'static str,
}

/// Seconds of simulated time, as the HUD shows them.
pub fn seconds(ticks: Tick) -> String {
    format!("{:.2} s", ticks as f64 / 1000.0)
}

/// A cheat sheet: an optional line on top, then (message, meaning) rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheatSheet {
    pub intro: Option<&'static str>,
    pub rows: &'static [(&'static str, &'static str)],
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every pair of nodes is more than a few units apart, rim to rim.
    pub(crate) fn assert_apart(places: &[Place]) {
        for (i, a) in places.iter().enumerate() {
            for b in &places[i + 1..] {
                let gap = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt() - a.radius - b.radius;
                assert!(gap > 4.0, "nodes overlap ({gap}) in {places:?}");
            }
        }
    }

    #[test]
    fn lost_messages_wear_a_colour_far_from_every_node_colour() {
        for colour in PALETTE {
            // Manhattan distance in sRGB: further than any two node colours are from each
            // other (red and orange, the closest pair, are 82 apart).
            let distance: i32 = colour
                .iter()
                .zip(LOST_COLOUR)
                .map(|(a, b)| (i32::from(*a) - i32::from(b)).abs())
                .sum();
            assert!(
                distance > 140,
                "{colour:?} is {distance} from the lost grey"
            );
        }
    }

    #[test]
    fn a_badge_says_the_most_important_thing_first() {
        let mut view = NodeView {
            id: 0,
            title: "red".into(),
            mark: "R".into(),
            colour: 0,
            light: false,
            down: false,
            slow: 1,
            leading: Some("2.R".into()),
            done: None,
            drop_armed: false,
            value: None,
            status: Vec::new(),
            inspector: Vec::new(),
            log: Vec::new(),
            timer: None,
            takes_commands: false,
        };
        assert_eq!(badge(&view), "LEADER 2.R");
        view.done = Some(("DECIDED", "red".into()));
        view.slow = 4;
        view.down = true;
        view.drop_armed = true;
        assert_eq!(badge(&view), "DOWN  DECIDED red  SLOW x4  DROP NEXT");
    }
}
