//! "Can this still break?": the core search ([`super::dfs`]) from the exact state of a network
//! player's running simulation rather than from the start. Its answer is either a proof within
//! the stated bounds ("no order ... can break it from here, N states explored") or a way to
//! break it, as network player's moves (actions) that can be applied one at a time, played once
//! on a copy of the run to confirm that they trip the checker.
//!
//! The search models the network player exactly: a message waiting on its link may be delivered
//! now, later, never (drop it), or more than once (deliver a copy, keep the original) on a
//! duplicating network; any armed timer may fire; up to `max_crashes` nodes may be down. The
//! handlers draw their numbers from the node's state in the network player's runs, as in the
//! search, so both see the same values. Builds for wasm32, as the core search does.

use std::time::Instant;

use serde::Serialize;

use super::budget::{Budget, Incomplete};
use super::dfs::{Dfs, Envelope, Event, Slot};
use super::{CheckOptions, Explorable, NetworkKind, describe_path};
use crate::protocol::{AnyEngine, Setup, engine_of};
use crate::sim::{Action, Actor, NodeId};

/// The states a "can this still break?" search generates at most unless told otherwise: enough
/// for Raft's 3 servers and a client from the start (428,185 generated, about 0.8 s of CPU
/// natively); Paxos's 3 nodes need 11,223 (see `docs/checking.md`).
pub const FROM_HERE_MAX_STATES: usize = 1_000_000;

/// The states the look one round further may generate (before a long proof within the rounds
/// reached, or after a short one): enough for Raft's `no-up-to-date-check` from the start
/// (24,760 generated), a fraction of a second natively.
pub const FROM_HERE_FURTHER_STATES: usize = 50_000;

/// The states a first search within the rounds reached may generate before the look one round
/// further goes (see [`from_here`]): Paxos's 3 nodes and Raft's `forget-vote` answer within it
/// (11,223 generated from the start of a Paxos round), Raft's first-term proof does not.
pub const FROM_HERE_FIRST_STATES: usize = 20_000;

/// How long a "can this still break?" search may take natively before it answers "unknown" (a
/// 5-node Paxos round does not finish within the states budget; the panel should not hang).
pub const FROM_HERE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// What the checker answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// No way within the bounds: every state was explored.
    No,
    /// A way was found: see [`FromHere::steps`].
    Yes,
    /// The checker has already caught a violation in this run.
    AlreadyBroken,
    /// The budget ran out before the search found a way or explored everything.
    Unknown,
}

/// One move of a way to break the protocol: the action to apply (the game's move is
/// `round::Attack::of_network_step(&action)`), and the step in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NetworkStep {
    pub action: Action,
    pub text: String,
}

/// The answer to "can this still break?", with the bounds it holds within.
#[derive(Clone, Debug, Serialize)]
pub struct FromHere {
    pub mode: &'static str,
    #[serde(rename = "break")]
    pub broken: Option<&'static str>,
    pub nodes: usize,
    /// The tick of the moment searched from.
    pub tick: u64,
    pub answer: Answer,
    /// The answer in a sentence, for the panel.
    pub words: String,
    pub network: NetworkKind,
    pub max_crashes: usize,
    /// Protocols with rounds: none above this (raised to the highest round reached so far).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_round: Option<u64>,
    pub max_depth: Option<usize>,
    pub max_states: Option<usize>,
    pub complete: bool,
    pub incomplete: Option<Incomplete>,
    pub unique_states: usize,
    pub states: usize,
    pub depth: usize,
    pub seconds: Option<f64>,
    pub states_per_sec: Option<u64>,
    /// The violation the way leads to (or the one already caught).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violation: Option<String>,
    /// The way, one move at a time (empty unless the answer is yes).
    pub steps: Vec<NetworkStep>,
    /// Whether the steps, played on a copy of the run, trip the checker with that violation.
    pub confirmed: bool,
}

/// The options of a "can this still break?" search: the core search on a duplicating network
/// (the player may deliver copies; a way needing more than `copies_left` is looked for again
/// without copies), with `max_crashes` nodes down at most, the protocol's own depth bound
/// (ec-counter, Raft), [`FROM_HERE_MAX_STATES`], and natively [`FROM_HERE_TIMEOUT`] (the browser
/// has no clock here: states only).
pub fn network_player_options(
    explorer: &dyn super::Explorer,
    max_crashes: usize,
    copies_left: usize,
) -> CheckOptions {
    CheckOptions {
        search: super::Search::Core,
        network: NetworkKind::Duplicating,
        max_crashes,
        max_depth: explorer.default_max_depth(),
        max_states: Some(FROM_HERE_MAX_STATES),
        timeout: Some(FROM_HERE_TIMEOUT),
        max_copies: Some(copies_left),
        ..CheckOptions::default()
    }
}

/// Searches from the state of `run` (a network player's run of protocol `P`): see the module's
/// documentation. `started` is when the search began, for the report's seconds (none in the
/// browser, which has no clock here).
pub fn from_here<P: Explorable>(
    setup: &Setup,
    run: &dyn AnyEngine,
    options: &CheckOptions,
    started: Option<Instant>,
) -> Result<FromHere, String> {
    let Some(sim) = engine_of::<P>(run) else {
        return Err(format!("the run is not one of {}", setup.mode.name()));
    };
    if sim.network_running().is_none() {
        return Err(
            "the checker answers in a network player's round (--network-player, net=player): \
             its steps are the network player's moves"
                .into(),
        );
    };
    let mut options = options.clone();
    let nodes = sim.actors().len();
    let slots: Vec<Slot<P::Actor>> = (0..nodes)
        .map(|node| {
            let mut timers: Vec<_> = sim.armed_timers(node).cloned().collect();
            timers.sort();
            timers.dedup();
            Slot {
                actor: sim.actors()[node].clone(),
                up: !sim.faults().is_down(node),
                timers,
            }
        })
        .collect();
    if P::ROUNDS {
        // The bound is on rounds beyond where the run already is.
        let within = |options: &CheckOptions| {
            slots
                .iter()
                .all(|slot| P::within_bounds(&slot.actor, options))
        };
        while !within(&options) && options.max_round < 1_000 {
            options.max_round += 1;
        }
    }
    options.max_ballots = None;
    if !slots
        .iter()
        .all(|slot| P::within_bounds(&slot.actor, &options))
    {
        return Err(format!(
            "this moment of {} is beyond what its search can explore (its bounds are in \
             docs/checking.md)",
            setup.mode.name()
        ));
    }
    // Doomed messages die on delivery: the player can do nothing with them.
    let net: Vec<_> = sim
        .in_flight()
        .filter(|m| !m.doomed)
        .map(|m| (m.to, m.from, m.msg.clone()))
        .collect();
    let mut report = FromHere {
        mode: setup.mode.name(),
        broken: setup.broken,
        nodes,
        tick: sim.now(),
        answer: Answer::Unknown,
        words: String::new(),
        network: options.network,
        max_crashes: options.max_crashes,
        max_round: P::ROUNDS.then_some(options.max_round),
        max_depth: options.max_depth,
        max_states: options.max_states,
        complete: false,
        incomplete: None,
        unique_states: 0,
        states: 0,
        depth: 0,
        seconds: None,
        states_per_sec: None,
        violation: None,
        steps: Vec::new(),
        confirmed: false,
    };
    if let Some(caught) = sim.violations().first() {
        report.answer = Answer::AlreadyBroken;
        report.violation = Some(format!("{}: {}", caught.kind, caught.detail));
        report.words = format!("already broken: {}", caught.kind);
        report.confirmed = true;
        return Ok(report);
    }
    let crashes = match options.max_crashes {
        0 => String::new(),
        1 => ", one crash".into(),
        n => format!(", {n} crashes at once"),
    };
    // A way one round further (without crashes) is looked for before a long proof within the
    // rounds reached: Raft's `no-up-to-date-check` needs a second term, and from the start the
    // first term's proof alone is some 48,000 states, the way beyond it 5,000. So a first search
    // within the rounds reached stops after FROM_HERE_FIRST_STATES; if it did not answer, the
    // look further goes next, and only if that finds nothing does the whole search run (the
    // same search again from the start, so its answer and counts are `check`'s).
    let further = CheckOptions {
        max_round: options.max_round + 1,
        max_crashes: 0,
        max_states: Some(FROM_HERE_FURTHER_STATES),
        ..options.clone()
    };
    let mut beyond: Option<Found> = None;
    let mut found = if P::ROUNDS {
        let first = CheckOptions {
            max_states: Some(options.max_states.map_or(FROM_HERE_FIRST_STATES, |max| {
                max.min(FROM_HERE_FIRST_STATES)
            })),
            ..options.clone()
        };
        let quick = search::<P>(setup, run, &first, started, slots.clone(), net.clone())?;
        if quick.way.is_none() && quick.incomplete == Some(Incomplete::MaxStates) {
            let looked = search::<P>(setup, run, &further, started, slots.clone(), net.clone())?;
            let answered = playable(&looked, options.max_copies);
            beyond = Some(looked);
            if answered {
                quick
            } else {
                search::<P>(setup, run, &options, started, slots.clone(), net.clone())?
            }
        } else {
            quick
        }
    } else {
        search::<P>(setup, run, &options, started, slots.clone(), net.clone())?
    };
    if let (Some(way), Some(left)) = (&found.way, options.max_copies)
        && copies_in(way) > left
        && options.network == NetworkKind::Duplicating
    {
        // The player cannot make that many copies: a way without any, if there is one.
        let unordered = CheckOptions {
            network: NetworkKind::Unordered,
            ..options.clone()
        };
        let again = search::<P>(setup, run, &unordered, started, slots.clone(), net.clone())?;
        if again.way.is_some() {
            report.network = NetworkKind::Unordered;
            found = Found {
                unique_states: found.unique_states + again.unique_states,
                states: found.states + again.states,
                depth: found.depth.max(again.depth),
                ..again
            };
        }
    }
    // A "no" holds within the rounds reached; a way may start one round further (Raft's
    // `no-up-to-date-check` needs a second term). A small search there, without crashes, looks
    // for one; if it finds none, the answer stays the proof within the rounds reached, with its
    // counts (which `check` gives too).
    let mut bounds = options.clone();
    if P::ROUNDS && found.way.is_none() && found.incomplete.is_none() && beyond.is_none() {
        beyond = Some(search::<P>(
            setup,
            run,
            &further,
            started,
            slots.clone(),
            net.clone(),
        )?);
    }
    if let Some(beyond) =
        beyond.filter(|beyond| found.way.is_none() && playable(beyond, options.max_copies))
    {
        // With the states of the search before it: the proof, or the first search that
        // stopped short of one.
        found = Found {
            unique_states: found.unique_states + beyond.unique_states,
            states: found.states + beyond.states,
            depth: found.depth.max(beyond.depth),
            ..beyond
        };
        report.max_round = Some(further.max_round);
        report.max_crashes = 0;
        bounds = further;
    }
    // Depth first finds a way, not a short one (it may crash a node again and again): a few
    // small searches within a depth bound look for a shorter one, so that the hint is a handful
    // of moves. The counts reported stay those of the search that answered.
    if let Some(long) = found.way.as_ref().map(|way| way.steps.len()) {
        for depth in [long / 3, long / 2, 2 * long / 3] {
            if depth < 2 {
                continue;
            }
            let bounded = CheckOptions {
                network: report.network,
                max_depth: Some(bounds.max_depth.map_or(depth + 1, |d| d.min(depth + 1))),
                ..bounds.clone()
            };
            let shorter = search::<P>(setup, run, &bounded, started, slots.clone(), net.clone())?;
            if let Some(way) = shorter.way.filter(|way| {
                way.confirmed
                    && way.steps.len() < long
                    && options.max_copies.is_none_or(|left| copies_in(way) <= left)
            }) {
                found.way = Some(way);
                break;
            }
        }
    }
    let seconds = started.map(|started| started.elapsed().as_secs_f64());
    report.unique_states = found.unique_states;
    report.states = found.states;
    report.depth = found.depth;
    report.seconds = seconds.map(|s| (s * 1000.0).round() / 1000.0);
    report.states_per_sec = seconds.map(|s| (found.unique_states as f64 / s.max(1e-9)) as u64);
    match found.way {
        Some(way) => {
            report.answer = Answer::Yes;
            report.incomplete = Some(Incomplete::Violation);
            let needs = copies_in(&way);
            report.violation = Some(way.violation);
            report.confirmed = way.confirmed;
            report.words = match options.max_copies {
                Some(left) if needs > left => format!(
                    "yes: here is a way, in {} moves, but it needs {needs} copies and you have \
                     {left} left ({} states explored)",
                    way.steps.len(),
                    found.unique_states
                ),
                _ => format!(
                    "yes: here is a way, in {} moves ({} states explored)",
                    way.steps.len(),
                    found.unique_states
                ),
            };
            report.steps = way.steps;
        }
        None => {
            report.incomplete = found.incomplete;
            report.complete = report.incomplete.is_none();
            if report.complete {
                report.answer = Answer::No;
                report.words = format!(
                    "no order of the messages in flight, with drops, copies, timers{crashes}, \
                     can break {} from here{} ({} states explored)",
                    P::SAFETY_WORDS,
                    bounds_in_words::<P>(&options),
                    found.unique_states
                );
            } else {
                report.words = format!(
                    "no way found within the budget ({} states explored); the search stopped \
                     before it had tried everything",
                    found.unique_states
                );
            }
        }
    }
    Ok(report)
}

/// The bounds a "no" holds within, as the answer says them: " with terms up to 1 and at most
/// 12 more moves" (nothing for a search bounded by neither).
fn bounds_in_words<P: Explorable>(options: &CheckOptions) -> String {
    let mut bounds = Vec::new();
    if P::ROUNDS {
        bounds.push(P::round_bound_words(options.max_round));
    }
    if let Some(depth) = options.max_depth {
        bounds.push(format!("at most {depth} more moves"));
    }
    if bounds.is_empty() {
        return String::new();
    }
    format!(" with {}", bounds.join(" and "))
}

/// Whether a search found a way the player can play: confirmed on a copy of the run, and with
/// no more copies than they have left.
fn playable(found: &Found, copies_left: Option<usize>) -> bool {
    found
        .way
        .as_ref()
        .is_some_and(|way| way.confirmed && copies_left.is_none_or(|left| copies_in(way) <= left))
}

/// The copies a way delivers.
fn copies_in(way: &Way) -> usize {
    way.steps
        .iter()
        .filter(|s| matches!(s.action, Action::Deliver { copy: true, .. }))
        .count()
}

/// What one search from the moment found.
struct Found {
    unique_states: usize,
    states: usize,
    depth: usize,
    incomplete: Option<Incomplete>,
    way: Option<Way>,
}

/// A way to break the protocol, as moves.
struct Way {
    violation: String,
    steps: Vec<NetworkStep>,
    confirmed: bool,
}

/// Searches from the moment's `slots` and `net` within `options`, and turns a violation found
/// into moves, played on a copy of `run` to confirm them.
fn search<P: Explorable>(
    setup: &Setup,
    run: &dyn AnyEngine,
    options: &CheckOptions,
    started: Option<Instant>,
    slots: Vec<Slot<P::Actor>>,
    net: Vec<Envelope<<P::Actor as Actor>::Msg>>,
) -> Result<Found, String> {
    let sim = engine_of::<P>(run).ok_or("the run changed protocol")?;
    let budget = match started {
        Some(started) => Budget::new(
            started,
            options.timeout,
            options.max_states,
            options.max_memory,
            options.stop,
        ),
        None => Budget::counting(options.max_states, options.stop),
    };
    let dfs = Dfs::<P> {
        initial: Vec::new(),
        checker: sim.checker().clone(),
        seed: setup.seed,
        options,
        budget: &budget,
        sleep_sets: options.sleep_sets && P::NODES_COMMUTE && options.max_depth.is_none(),
        dead: P::dead_message,
    };
    let init = dfs.state_of(slots, net, sim.checker().clone(), sim.violations().to_vec());
    let outcome = dfs.run_from(init, Vec::new());
    let mut found = Found {
        unique_states: outcome.unique_states,
        states: outcome.states,
        depth: outcome.depth,
        incomplete: budget.reason(),
        way: None,
    };
    let Some((path, last)) = outcome.violation else {
        return Ok(found);
    };
    let first = last.violations.first().cloned();
    let (texts, _) = describe_path::<P>(setup, options.network, setup.seed, path.clone());
    let mut trial = run.snapshot();
    let mut steps = Vec::new();
    if sim.network_running() == Some(true) {
        let hold = Action::Network { run: false };
        trial.apply(hold.clone()).map_err(|e| e.to_string())?;
        steps.push(NetworkStep {
            action: hold,
            text: "hold the network".into(),
        });
    }
    let events: Vec<Event<P::Actor>> = path.into_iter().map(|(event, _)| event).collect();
    let mut playable = true;
    for (k, event) in events.iter().enumerate() {
        let Some(action) = action_for::<P>(&*trial, event, &events[k + 1..]) else {
            playable = false;
            break;
        };
        if trial.apply(action.clone()).is_err() {
            playable = false;
            break;
        }
        let text = texts[k].split_once(". ").map_or(&*texts[k], |(_, t)| t);
        steps.push(NetworkStep {
            action,
            text: text.to_string(),
        });
    }
    let confirmed = playable
        && first
            .as_ref()
            .is_some_and(|v| trial.violations().first().is_some_and(|t| t.kind == v.kind));
    found.way = Some(Way {
        violation: first.map_or_else(String::new, |v| format!("{}: {}", v.kind, v.detail)),
        steps,
        confirmed,
    });
    Ok(found)
}

/// The network player's move that carries out the search's step `event` on `run`, or `None`
/// if the run cannot take it. A delivery the rest of the path repeats (`later`) delivers a copy
/// and keeps the message waiting, unless enough identical messages wait.
fn action_for<P: Explorable>(
    run: &dyn AnyEngine,
    event: &Event<P::Actor>,
    later: &[Event<P::Actor>],
) -> Option<Action> {
    let sim = engine_of::<P>(run)?;
    let waiting = |from: NodeId, to: NodeId, msg: &<P::Actor as Actor>::Msg| {
        sim.in_flight()
            .filter(|m| !m.doomed && m.from == from && m.to == to && m.msg == *msg)
            .map(|m| m.id)
            .collect::<Vec<_>>()
    };
    Some(match event {
        Event::Deliver { from, to, msg } => {
            let ids = waiting(*from, *to, msg);
            let again = later.iter().filter(|e| *e == event).count();
            Action::Deliver {
                message: *ids.first()?,
                copy: ids.len() <= again,
            }
        }
        Event::Lose { from, to, msg } => Action::Drop {
            message: *waiting(*from, *to, msg).first()?,
        },
        Event::Timer { node, timer } => Action::Fire {
            node: *node,
            timer: sim.armed_timers(*node).position(|t| t == timer)?,
        },
        Event::Crash(node) => Action::Kill { node: *node },
        Event::Recover(node) => Action::Recover { node: *node },
    })
}
