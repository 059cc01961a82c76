//! The Paxos lessons: from watching one decision to breaking the protocol. Each objective reads the
//! run's trace from the start, so it holds at the exact step it was met.

use std::collections::{BTreeMap, BTreeSet};

use super::Paxos;
use super::node::{Ballot, Msg, Note, PaxosNode, Value};
use crate::explore::{self, Answer, CheckOptions, FROM_HERE_MAX_STATES, NetworkKind, Search};
use crate::protocol::{AnyEngine, Lesson, Pause, ProtocolEngine, first_violation, no_pauses};
use crate::protocol::{Setup, engine_of};
use crate::sim::quorum::majority;
use crate::sim::{Action, Event, Faults, NodeId, Tick};
use crate::view::colour_name;

pub const LESSONS: &[Lesson] = &[
    Lesson {
        name: "first-decision",
        title: "A first decision",
        text: "Three nodes must agree on one value, and each would like it to be its own. A node \
               that has heard nothing for a while becomes a leader: it asks everyone to promise \
               its ballot (p1a, p1b), then asks them to accept its value (p2a, p2b). A ballot \
               such as 1.G is round 1 of node green: ballots compare by round, then by node, \
               and a higher ballot beats a lower one. A value is chosen once a majority has \
               accepted it, and can never change; a node has decided once it learns which value \
               was chosen.",
        objective: "Watch the cluster decide.",
        hint_after: 3_000,
        hint: "Nothing to do: press + to speed up, or step through it with the step button.",
        done: "Decided! The outlined nodes are the majority that accepted: any other majority \
               shares at least one node with it, which is how the value survives what comes next.",
        watch: true,
        replay: include_str!("../../../assets/lessons/first-decision.json"),
        goal: first_decision,
        starts_paused: Some(
            "Paused at the start. Press step (the button at the top, or the . key) to see each \
             message leave and arrive, one at a time; resume (or space) lets it run.",
        ),
        pauses: no_pauses,
    },
    Lesson {
        name: "leader-crash",
        title: "Kill the leader",
        text: "The gold ring marks the leader of the current ballot. Kill it (double-click it, or \
               select it and press K) before the cluster decides. The others stop hearing from \
               it, one of them times out and starts a higher ballot, and the cluster decides \
               anyway.",
        objective: "Kill a leader before any node decides, then watch a higher ballot decide.",
        hint_after: 1_500,
        hint: "The game pauses as the first leader starts its ballot: double-click that node \
               then (or select it and press K).",
        done: "A higher ballot carried on without the dead leader: Paxos needs a majority alive, \
               not any particular node.",
        watch: false,
        replay: include_str!("../../../assets/lessons/leader-crash.json"),
        goal: leader_killed_then_decided,
        starts_paused: None,
        pauses: leader_crash_pauses,
    },
    Lesson {
        name: "dueling-leaders",
        title: "Dueling leaders",
        text: "Every ballot is numbered, and a node that promised a higher ballot refuses lower \
               ones. When two nodes lead at once they keep overtaking each other: each new \
               prepare cancels the other's accepts. Make the cluster go through at least three \
               ballots before it decides.",
        objective: "Three ballots or more started before the first decision, with two leaders \
                    at once: one refused (nack) because the other's ballot is higher.",
        hint_after: 2_000,
        hint: "The game pauses each time a node starts a ballot: slow that node then (hold the \
               mouse on it, or S). Another node times out and starts a higher ballot; slow that \
               one too.",
        done: "Each new ballot pre-empted the one before, and still only one value was chosen. \
               Randomized, growing time-outs are what make a leader win in the end.",
        watch: false,
        replay: include_str!("../../../assets/lessons/dueling-leaders.json"),
        goal: three_ballots_before_deciding,
        starts_paused: None,
        pauses: dueling_pauses,
    },
    Lesson {
        name: "cut-off",
        title: "One node cut off",
        text: "Cut one node off from the others (select it and press I, or drag from it to each \
               neighbour). The two left form a majority of three, so they can still decide \
               without it.",
        objective: "The cluster decides while one node is cut off from all the others.",
        hint_after: 1_500,
        hint: "The game pauses as the leader starts its ballot: then select one of the other \
               nodes and press I to isolate it. Isolation heals by itself after a while, so a \
               node cut off earlier is back before the decision.",
        done: "A majority decided alone. The cut-off node learns the value once the link heals.",
        watch: false,
        replay: include_str!("../../../assets/lessons/cut-off.json"),
        goal: decided_with_a_node_cut_off,
        starts_paused: None,
        pauses: cut_off_pauses,
    },
    Lesson {
        name: "no-majority",
        title: "No majority, no decision",
        text: "Five nodes need three to decide. Split them so that no node can reach two others: \
               kill one and cut the rest into pairs, say. As long as no majority can talk, \
               nothing is decided, and nothing wrong can be decided either. The cuts heal by \
               themselves after a while (H heals them at once): then watch it decide.",
        objective: "Keep five nodes without a reachable majority for 0.4 s, undecided, then let \
                    them decide.",
        hint_after: 2_500,
        hint: "When the game pauses at the first ballot, kill purple (double-click), then drag \
               from node to node to cut the links between the pairs: red and green on one side, \
               blue and orange on the other.",
        done: "No majority, no progress: Paxos chose waiting over guessing. With the network \
               healed, a majority formed and decided.",
        watch: false,
        replay: include_str!("../../../assets/lessons/no-majority.json"),
        goal: held_without_majority_then_decided,
        starts_paused: None,
        pauses: no_majority_pauses,
    },
    Lesson {
        name: "cannot-disagree",
        title: "Try to make them disagree",
        text: "You have a generous budget. Let the first leader get its value accepted by a \
               majority, then stop it before the others hear the decision, so that a new leader \
               takes over with a value of its own. Can you make the new leader win with it?",
        objective: "Make a new leader take over after a value was chosen.",
        hint_after: 2_500,
        hint: "The game pauses when the p2b replies reach the leader (it shows DECIDED): \
               isolate it then (select it, I). Its decide messages are lost, the others time \
               out and one starts a higher ballot.",
        done: "The new leader proposed the chosen value, not its own. The starred node (\"in \
               both\") was in both majorities: it had accepted the chosen value, and its promise to the \
               new leader carried it. Any two majorities share a node, so this always happens.",
        watch: false,
        replay: include_str!("../../../assets/lessons/cannot-disagree.json"),
        goal: new_leader_adopted_the_chosen_value,
        starts_paused: None,
        pauses: cannot_disagree_pauses,
    },
    Lesson {
        name: "highest-ballot",
        title: "Two values accepted: which one?",
        text: "A value can be accepted by a few nodes without being chosen, when its leader is \
               cut off before a majority accepts. Let one leader get its value accepted at one \
               ballot, and another leader a different value at a higher ballot, each by too few \
               nodes to be chosen. Then a new leader's promises carry both values: which must it \
               propose?",
        objective: "A leader hears of two different values accepted at different ballots, and \
                    proposes one.",
        hint_after: 2_500,
        hint: "The game pauses as each of the first two leaders proposes: isolate it then \
               (select it, I), before its p2a messages arrive, so its value stays accepted by \
               itself alone.",
        done: "The leader proposed the value of the highest ballot its promises reported. That \
               is the only safe choice: if a value was chosen at some ballot, every later ballot \
               proposed that same value, so the highest ballot anyone reports carries it, while \
               a value accepted at a lower ballot may be one that lost.",
        watch: false,
        replay: include_str!("../../../assets/lessons/highest-ballot.json"),
        goal: highest_of_two_values_proposed,
        starts_paused: None,
        pauses: highest_ballot_pauses,
    },
    Lesson {
        name: "break-amnesia",
        title: "Break it: amnesia",
        text: "This cluster runs a broken Paxos: a node that restarts forgets what it promised \
               and accepted. Red and blue cannot talk to each other, so green is the only node \
               in both of their majorities. Once green has accepted a value, kill it and bring \
               it back.",
        objective: "Make the checker catch two different values chosen.",
        hint_after: 2_000,
        hint: "The game pauses when green has accepted: kill it then (double-click it). It \
               pauses again once red has decided and a message to the dead green is lost: \
               recover green then (double-click it again), not before.",
        done: "Green forgot the value it had accepted, so its promise to the next leader \
               carried nothing, and that leader chose its own value. Acceptors must keep their \
               promises and accepted values on disk.",
        watch: false,
        replay: include_str!("../../../assets/lessons/break-amnesia.json"),
        goal: first_violation,
        starts_paused: None,
        pauses: amnesia_pauses,
    },
    Lesson {
        name: "break-skip-highest",
        title: "Break it: ignore what was accepted",
        text: "This cluster runs a broken Paxos: a new leader proposes its own value even when a \
               promise tells it about one already accepted. Let the first leader's value be \
               chosen, then make a second leader take over.",
        objective: "Make the checker catch two different values chosen.",
        hint_after: 2_500,
        hint: "The game pauses when the leader's p2b replies have arrived (it shows DECIDED): \
               isolate it then (select it, I), so the others time out and start a new ballot.",
        done: "The new leader ignored the value its promises carried and chose its own: two \
               values chosen. Proposing the highest accepted value is the rule that makes any \
               later ballot agree with an earlier choice.",
        watch: false,
        replay: include_str!("../../../assets/lessons/break-skip-highest.json"),
        goal: first_violation,
        starts_paused: None,
        pauses: skip_highest_pauses,
    },
    Lesson {
        name: "break-accept-after-promise",
        title: "Break it: accept after promising",
        text: "This cluster runs a broken Paxos: an acceptor still accepts a lower ballot's \
               value after promising a higher ballot. A promise is what lets a new leader trust \
               that nothing older will be accepted behind its back. Make a leader's p2a arrive \
               late, after another leader's ballot has won the promises.",
        objective: "Make the checker catch two different values chosen.",
        hint_after: 2_500,
        hint: "The game pauses as the first leader starts its ballot: slow it then (hold the \
               mouse on it, or S), so its p2a messages crawl while another node times out and \
               starts a higher ballot.",
        done: "An acceptor promised the higher ballot, told its leader it had accepted nothing, \
               and then accepted the older ballot's value anyway: both ballots reached a \
               majority with different values. Refusing a lower ballot after a promise is a \
               safety rule, not only a way to settle duelling leaders.",
        watch: false,
        replay: include_str!("../../../assets/lessons/break-accept-after-promise.json"),
        goal: first_violation,
        starts_paused: None,
        pauses: accept_after_promise_pauses,
    },
    Lesson {
        name: "network-duel",
        title: "You are the network: make two leaders duel forever",
        text: "Now you are the network. No message arrives and no timer fires until you say so: \
               click a waiting message to deliver it, a node's timer button to fire it. A leader \
               needs its prepares (p1a) and the promises (p1b) back, then its accepts (p2a) \
               accepted, before anyone starts a higher ballot. Never let that happen.",
        objective: "Six ballots started, by two leaders or more, and still nothing decided.",
        hint_after: 1_500,
        hint: "Fire red's timer, deliver its prepares and the promises. Before its p2a messages \
               arrive, fire green's timer and deliver green's prepares: red's p2a are then \
               refused. Then fire red's timer again, and so on.",
        done: "Six ballots and no decision, and there would never be one while the network \
               keeps doing this: no protocol can promise to decide over a network that may delay \
               anything (Fischer, Lynch and Paterson). But nothing wrong was decided either: \
               liveness is not safety, and Paxos gives up only the first.",
        watch: false,
        replay: include_str!("../../../assets/lessons/network-duel.json"),
        goal: duel_without_end,
        starts_paused: None,
        pauses: no_pauses,
    },
    Lesson {
        name: "network-cannot-disagree",
        title: "You are the network: try to make them disagree",
        text: "Correct Paxos, and you are the network: deliver the messages in any order, drop \
               them, deliver copies of them, fire any node's timer whenever you like. Try to make \
               two nodes decide different values. Once every node has decided, the checker \
               searches every order you could still have tried.",
        objective: "Every node decides, and the checker answers: no order of the messages in \
                    flight can break agreement from here.",
        hint_after: 1_500,
        hint: "Ask the checker (\"can this still break?\") at any moment: from the start it \
               explores every order while ballots stay in round 1, about 3,000 states, and \
               answers no. To finish, fire one timer and deliver everything.",
        done: "You could not, and it was not luck: from the moment they decided, the checker \
               tried every order of the messages still in flight, every drop, copy and timer, \
               and none breaks agreement. Safety must hold for every order, and a checker can \
               show that it does.",
        watch: false,
        replay: include_str!("../../../assets/lessons/network-cannot-disagree.json"),
        goal: decided_and_the_checker_says_no,
        starts_paused: None,
        pauses: no_pauses,
    },
    Lesson {
        name: "network-break-amnesia",
        title: "Break amnesia with only the network and one crash",
        text: "A broken Paxos whose nodes forget, when they restart, what they promised and \
               accepted. You are the network, and you may crash a node once. Choose the order \
               of the messages and the moment of the crash so that two values are chosen.",
        objective: "Make the checker catch two different values chosen.",
        hint_after: 1_500,
        hint: "Stuck? Ask the checker (\"can this still break?\"): it searches every order from \
               where you are and shows a way, one move at a time. Or: let green accept red's \
               value, crash green and bring it back, then let green lead.",
        done: "Green forgot the value it had accepted, so its own ballot found nothing to carry \
               and chose its value: two values chosen. Acceptors must keep their promises and \
               accepted values on disk.",
        watch: false,
        replay: include_str!("../../../assets/lessons/network-break-amnesia.json"),
        goal: first_violation,
        starts_paused: None,
        pauses: no_pauses,
    },
];

fn paxos(run: &dyn AnyEngine) -> &ProtocolEngine<Paxos> {
    engine_of::<Paxos>(run).expect("a Paxos lesson runs Paxos")
}

/// The first tick at which `met` says yes, reading the trace in order with the network's faults
/// as they were at each event.
fn first_moment(
    run: &dyn AnyEngine,
    mut met: impl FnMut(Tick, &Event<PaxosNode>, &Faults) -> bool,
) -> Option<Tick> {
    let sim = paxos(run);
    let mut faults = Faults::new(sim.actors().len());
    sim.trace().iter().find_map(|traced| {
        if let Event::Action { action } = &traced.event {
            faults.apply(action);
        }
        met(traced.tick, &traced.event, &faults).then_some(traced.tick)
    })
}

/// Every moment `words` has something to say about, reading the trace as [`first_moment`] does:
/// the lesson's pauses.
fn moments(
    run: &dyn AnyEngine,
    mut words: impl FnMut(&Event<PaxosNode>, &Faults) -> Option<String>,
) -> Vec<Pause> {
    let sim = paxos(run);
    let mut faults = Faults::new(sim.actors().len());
    sim.trace()
        .iter()
        .filter_map(|traced| {
            if let Event::Action { action } = &traced.event {
                faults.apply(action);
            }
            words(&traced.event, &faults).map(|text| Pause {
                tick: traced.tick,
                text,
            })
        })
        .collect()
}

/// A pause as the first ballot starts, naming its leader, then saying what to do.
fn as_the_first_leader_starts(run: &dyn AnyEngine, then: &str) -> Vec<Pause> {
    let mut seen = false;
    moments(run, |event, _| {
        let (node, ballot) = ballot_started(event).filter(|_| !seen)?;
        seen = true;
        Some(format!(
            "{} just started ballot {ballot} and leads it. {then}",
            colour_name(node)
        ))
    })
}

fn leader_crash_pauses(run: &dyn AnyEngine) -> Vec<Pause> {
    as_the_first_leader_starts(
        run,
        "Kill it now, before the cluster decides: double-click it, or select it and press K.",
    )
}

fn cut_off_pauses(run: &dyn AnyEngine) -> Vec<Pause> {
    as_the_first_leader_starts(
        run,
        "Cut off one of the other nodes now: select it, then press I.",
    )
}

fn no_majority_pauses(run: &dyn AnyEngine) -> Vec<Pause> {
    as_the_first_leader_starts(
        run,
        "Split the cluster now, while the game waits: kill purple (double-click it), then \
         drag from node to node to cut red and green off from blue and orange.",
    )
}

fn accept_after_promise_pauses(run: &dyn AnyEngine) -> Vec<Pause> {
    as_the_first_leader_starts(
        run,
        "It is in phase 1: slow it now (hold the mouse on it, or select it and press S), so \
         that its p2a messages crawl.",
    )
}

/// A pause at each ballot started before the first decision: each new leader is the one to slow.
fn dueling_pauses(run: &dyn AnyEngine) -> Vec<Pause> {
    let mut decided = false;
    moments(run, |event, _| {
        decided |= is_decision(event);
        let (node, ballot) = ballot_started(event).filter(|_| !decided)?;
        Some(format!(
            "{} just started ballot {ballot}. Slow it now: hold the mouse on it, or select it \
             and press S.",
            colour_name(node)
        ))
    })
}

/// A pause as the first leader decides (its p2b replies have arrived), naming it.
fn as_the_leader_decides(run: &dyn AnyEngine) -> Vec<Pause> {
    let mut decided = false;
    moments(run, |event, _| {
        let Event::Note {
            node,
            note: Note::Decided { value },
        } = event
        else {
            return None;
        };
        if std::mem::replace(&mut decided, true) {
            return None;
        }
        let name = colour_name(*node);
        Some(format!(
            "{name} just decided {}: a majority accepted it. Cut {name} off now (select it, \
             then press I), before its decide messages reach the others.",
            colour_name(*value)
        ))
    })
}

fn cannot_disagree_pauses(run: &dyn AnyEngine) -> Vec<Pause> {
    as_the_leader_decides(run)
}

fn skip_highest_pauses(run: &dyn AnyEngine) -> Vec<Pause> {
    as_the_leader_decides(run)
}

/// A pause as each of the first two leaders proposes.
fn highest_ballot_pauses(run: &dyn AnyEngine) -> Vec<Pause> {
    let mut leaders: Vec<NodeId> = Vec::new();
    moments(run, |event, _| {
        let Event::Note {
            node,
            note: Note::Proposed { ballot, value },
        } = event
        else {
            return None;
        };
        if leaders.contains(node) || leaders.len() == 2 {
            return None;
        }
        leaders.push(*node);
        Some(format!(
            "{} just proposed {} at ballot {ballot}. Cut it off now (select it, then press I), \
             before its p2a messages arrive.",
            colour_name(*node),
            colour_name(*value)
        ))
    })
}

/// The node in both majorities of `break-amnesia`.
const AMNESIA_BRIDGE: NodeId = 1;

/// Two pauses: as green first accepts (kill it), and as the first message to the dead green is
/// lost after a node decided (recover it).
fn amnesia_pauses(run: &dyn AnyEngine) -> Vec<Pause> {
    let green = AMNESIA_BRIDGE;
    let (mut killed, mut recovered) = (false, false);
    let mut decided: Option<NodeId> = None;
    let mut kinds: BTreeMap<crate::sim::MsgId, &'static str> = BTreeMap::new();
    moments(run, |event, faults| match event {
        Event::Send { id, msg, .. } => {
            kinds.insert(*id, msg.kind());
            None
        }
        Event::Note {
            node,
            note: Note::Accepted { ballot, value },
        } if *node == green && !killed => {
            killed = true;
            Some(format!(
                "{} just accepted {} at ballot {ballot}. Kill it now: double-click it, or \
                 select it and press K.",
                colour_name(green),
                colour_name(*value)
            ))
        }
        Event::Note {
            node,
            note: Note::Decided { .. },
        } => {
            decided.get_or_insert(*node);
            None
        }
        Event::Drop { id, from, to, .. } if *to == green && !recovered && faults.is_down(green) => {
            let decider = decided?;
            recovered = true;
            let kind = kinds.get(id).copied().unwrap_or("a");
            let lost = if *from == decider {
                format!("its {kind} message")
            } else {
                format!("a {kind} message from {}", colour_name(*from))
            };
            let green = colour_name(green);
            Some(format!(
                "{} has decided, and {lost} to {green} was just lost: {green} is down. \
                 Recover {green} now: double-click it, or select it and press K.",
                colour_name(decider)
            ))
        }
        _ => None,
    })
}

fn is_decision(event: &Event<PaxosNode>) -> bool {
    matches!(
        event,
        Event::Note {
            note: Note::Decided { .. },
            ..
        }
    )
}

fn ballot_started(event: &Event<PaxosNode>) -> Option<(NodeId, Ballot)> {
    match event {
        Event::Note {
            node,
            note: Note::BallotStarted { ballot },
        } => Some((*node, *ballot)),
        _ => None,
    }
}

/// Six ballots started, by two nodes or more, before any decision: a network that never lets a
/// ballot finish keeps Paxos from deciding.
fn duel_without_end(run: &dyn AnyEngine) -> Option<Tick> {
    let mut ballots = 0;
    let mut leaders = BTreeSet::new();
    let mut decided = false;
    first_moment(run, |_, event, _| {
        decided |= is_decision(event);
        if let Some((node, _)) = ballot_started(event) {
            ballots += 1;
            leaders.insert(node);
        }
        !decided && ballots >= 6 && leaders.len() >= 2
    })
}

/// When every node had decided, if the checker's search from now ("can this still break?",
/// network only) answers no. The search runs only once everyone has decided, where it is small.
fn decided_and_the_checker_says_no(run: &dyn AnyEngine) -> Option<Tick> {
    let sim = paxos(run);
    if sim.actors().iter().any(|node| node.decided.is_none()) || !sim.violations().is_empty() {
        return None;
    }
    let mut setup = Setup::for_mode(super::MODE);
    setup.seed = sim.config().seed;
    setup.network_player = true;
    let options = CheckOptions {
        search: Search::Core,
        network: NetworkKind::Duplicating,
        max_crashes: 0,
        max_states: Some(FROM_HERE_MAX_STATES),
        ..CheckOptions::default()
    };
    let answer = explore::from_here::<Paxos>(&setup, run, &options, None).ok()?;
    let nodes = sim.actors().len();
    let mut decided = 0;
    (answer.answer == Answer::No)
        .then(|| {
            first_moment(run, |_, event, _| {
                decided += usize::from(is_decision(event));
                decided == nodes
            })
        })
        .flatten()
}

fn first_decision(run: &dyn AnyEngine) -> Option<Tick> {
    first_moment(run, |_, event, _| is_decision(event))
}

fn leader_killed_then_decided(run: &dyn AnyEngine) -> Option<Tick> {
    let mut latest: BTreeMap<NodeId, Ballot> = BTreeMap::new();
    let mut highest = Ballot::default();
    let mut decided = false;
    let mut killed_leader: Option<Ballot> = None;
    let mut higher_started = false;
    first_moment(run, |_, event, _| {
        if let Some((node, ballot)) = ballot_started(event) {
            latest.insert(node, ballot);
            highest = highest.max(ballot);
            higher_started |= killed_leader.is_some_and(|killed| ballot > killed);
        }
        if let Event::Action {
            action: Action::Kill { node },
        } = event
            && !decided
            && killed_leader.is_none()
            && latest.get(node) == Some(&highest)
        {
            killed_leader = Some(highest);
        }
        if is_decision(event) {
            decided = true;
            return higher_started;
        }
        false
    })
}

/// Three ballots before the first decision, and a duel among them: a live leader's ballot
/// refused because an acceptor had promised another node's higher one. Killing one leader after
/// another also starts three ballots, but nobody overtakes anybody.
fn three_ballots_before_deciding(run: &dyn AnyEngine) -> Option<Tick> {
    let mut ballots = 0;
    let mut duel = false;
    let mut decided = false;
    first_moment(run, |_, event, faults| {
        if decided {
            return false;
        }
        if ballot_started(event).is_some() {
            ballots += 1;
        }
        if let Event::Send {
            to,
            msg: Msg::Nack { ballot, promised },
            ..
        } = event
            && *to == ballot.node
            && promised.node != ballot.node
            && !faults.is_down(*to)
        {
            duel = true;
        }
        if is_decision(event) {
            decided = true;
            return ballots >= 3 && duel;
        }
        false
    })
}

/// Whether `node` is up and every link between it and the other nodes is cut.
fn cut_off(faults: &Faults, node: NodeId) -> bool {
    !faults.is_down(node)
        && (0..faults.nodes())
            .filter(|other| *other != node)
            .all(|other| !faults.link_open(node, other) && !faults.link_open(other, node))
}

fn decided_with_a_node_cut_off(run: &dyn AnyEngine) -> Option<Tick> {
    let mut decided = false;
    first_moment(run, |_, event, faults| {
        if is_decision(event) && !decided {
            decided = true;
            return (0..faults.nodes()).any(|node| cut_off(faults, node));
        }
        false
    })
}

/// Whether some live node can exchange messages with a majority (itself included): a leader
/// talks to every acceptor directly, so that is what a ballot needs.
fn majority_reachable(faults: &Faults) -> bool {
    let n = faults.nodes();
    (0..n).filter(|v| !faults.is_down(*v)).any(|v| {
        let reached = (0..n)
            .filter(|u| {
                *u == v
                    || (!faults.is_down(*u) && faults.link_open(v, *u) && faults.link_open(*u, v))
            })
            .count();
        reached >= majority(n)
    })
}

/// How long (ticks) the cluster must stay without a majority in `no-majority`.
const NO_MAJORITY_HOLD: Tick = 400;

fn held_without_majority_then_decided(run: &dyn AnyEngine) -> Option<Tick> {
    let mut decided = false;
    let mut since: Option<Tick> = None;
    let mut held = false;
    first_moment(run, |tick, event, faults| {
        if is_decision(event) {
            let met = held && !decided;
            decided = true;
            return met;
        }
        if decided {
            return false;
        }
        if majority_reachable(faults) {
            if since.is_some_and(|start| tick - start >= NO_MAJORITY_HOLD) {
                held = true;
            }
            since = None;
        } else {
            let start = *since.get_or_insert(tick);
            held |= tick - start >= NO_MAJORITY_HOLD;
        }
        false
    })
}

fn new_leader_adopted_the_chosen_value(run: &dyn AnyEngine) -> Option<Tick> {
    let n = paxos(run).actors().len();
    let mut accepted: BTreeMap<Ballot, Vec<NodeId>> = BTreeMap::new();
    let mut chosen: Option<(Ballot, NodeId)> = None;
    first_moment(run, |_, event, _| {
        let Event::Note { node, note } = event else {
            return false;
        };
        match note {
            Note::Accepted { ballot, value } => {
                let voters = accepted.entry(*ballot).or_default();
                if !voters.contains(node) {
                    voters.push(*node);
                }
                if chosen.is_none() && voters.len() >= majority(n) {
                    chosen = Some((*ballot, *value));
                }
                false
            }
            Note::Proposed { ballot, value } => chosen.is_some_and(|(at, chosen_value)| {
                *ballot > at && *value == chosen_value && *node != chosen_value
            }),
            _ => false,
        }
    })
}

/// A leader whose counted promises (its own included) carried two different values, and that
/// proposed the one accepted at the highest ballot, another node's: the leader gives up a value
/// it had accepted itself, so the choice is visibly the rule's, not the leader's.
fn highest_of_two_values_proposed(run: &dyn AnyEngine) -> Option<Tick> {
    super::story::phase_ones(paxos(run))
        .into_iter()
        .find(|one| {
            let values: BTreeSet<Value> = one
                .reports
                .values()
                .filter_map(|report| report.accepted.map(|(_, value)| value))
                .collect();
            values.len() >= 2
                && one.proposed != one.ballot.node
                && one
                    .highest()
                    .is_some_and(|(_, value)| value == one.proposed)
        })
        .map(|one| one.tick)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_majority_needs_a_node_that_reaches_it_directly() {
        let mut faults = Faults::new(5);
        assert!(majority_reachable(&faults));
        // Pairs {0,1} {2,3} and 4 down: nobody reaches three.
        faults.set_down(4, true);
        for (a, b) in [(0, 2), (0, 3), (1, 2), (1, 3)] {
            faults.set_cut(a, b, true);
            faults.set_cut(b, a, true);
        }
        assert!(!majority_reachable(&faults));
        // A chain 0-1 plus 1-2 open: node 1 reaches 0 and 2, a majority of five with itself.
        faults.set_cut(1, 2, false);
        faults.set_cut(2, 1, false);
        assert!(majority_reachable(&faults));
        // One direction cut is enough to lose a voter.
        faults.set_cut(2, 1, true);
        assert!(!majority_reachable(&faults));
    }
}
