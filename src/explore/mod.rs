//! Exhaustive checking: the protocol actors the game runs, explored over every ordering of
//! deliveries, timers, crashes and recoveries within a bound.
//!
//! Two searches share the protocol hooks ([`Explorable`]) and the report. Stateright's, native
//! only: [`adapter`] runs our actors under stateright's `Actor` trait, [`model`] wraps its actor
//! model so that our protocol's own checker watches every state, and [`check`] runs a breadth- or
//! depth-first search. The core search, [`dfs`], has no model checker underneath, builds for the
//! browser, and leaves out orders of independent steps and dead messages ([`check_core`]).
//! Either turns its first counterexample into readable steps and a scripted scenario
//! (`sim::script`) that `beat-paxos sim --scenario` replays to the same violation. A protocol
//! opts in by implementing [`Explorable`] in its folder. `docs/checking.md` describes the design,
//! the reductions and the figures.

#[cfg(not(target_arch = "wasm32"))]
pub mod adapter;
pub mod budget;
pub mod dfs;
pub mod from_here;
#[cfg(not(target_arch = "wasm32"))]
pub mod model;

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::hash::Hash;
#[cfg(not(target_arch = "wasm32"))]
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::{Duration, Instant};

use serde::Serialize;
#[cfg(not(target_arch = "wasm32"))]
use stateright::actor::{ActorModel, ActorModelAction, LossyNetwork, Network};
#[cfg(not(target_arch = "wasm32"))]
use stateright::{HasDiscoveries, Model as _};

#[cfg(not(target_arch = "wasm32"))]
pub use adapter::{Explored, NodeState};
pub use budget::{Budget, Incomplete};
use dfs::{DELIVERED_AGAIN_BIT, Dfs, Event};
pub use from_here::{
    Answer, FROM_HERE_MAX_STATES, FROM_HERE_TIMEOUT, FromHere, NetworkStep, from_here,
    network_player_options,
};
#[cfg(not(target_arch = "wasm32"))]
pub use model::{Exploration, ExploreState, SAFETY};

use crate::protocol::{Model, Setup};
use crate::sim::{Actor, Effect, NodeId, ScriptStep, Violation};

/// How the explored network treats messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkKind {
    /// Any message in flight may be delivered next, once.
    Unordered,
    /// Any message ever sent may be delivered next, any number of times.
    Duplicating,
    /// As unordered, and any message in flight may be lost.
    Lossy,
}

impl NetworkKind {
    pub const NAMES: &'static str = "`unordered`, `duplicating` or `lossy`";
}

impl std::str::FromStr for NetworkKind {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "unordered" => Ok(NetworkKind::Unordered),
            "duplicating" => Ok(NetworkKind::Duplicating),
            "lossy" => Ok(NetworkKind::Lossy),
            _ => Err(format!(
                "unknown network `{text}` (expected {})",
                NetworkKind::NAMES
            )),
        }
    }
}

/// The order states are explored in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Search {
    /// Breadth first: the first counterexample found is a shortest one. Memory grows with the
    /// widest level of the search, which is most of it.
    Bfs,
    /// Depth first: memory for little more than the states seen, for proofs too big for
    /// breadth first. Counterexamples may be long, and with a depth bound the search may miss
    /// states first reached by a path longer than the bound.
    Dfs,
    /// Depth first in the core, without stateright (`dfs.rs`): builds for the browser, and
    /// leaves out orders of steps of different nodes (sleep sets) where the protocol allows.
    /// One thread.
    Core,
}

impl std::str::FromStr for Search {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "bfs" => Ok(Search::Bfs),
            "dfs" => Ok(Search::Dfs),
            "core" => Ok(Search::Core),
            _ => Err(format!(
                "unknown search `{text}` (expected `bfs`, `dfs` or `core`)"
            )),
        }
    }
}

/// The bounds and the search.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub search: Search,
    pub network: NetworkKind,
    /// How many nodes may be down at once.
    pub max_crashes: usize,
    /// Protocols with rounds (Paxos ballots) explore none above this.
    pub max_round: u64,
    /// Protocols with rounds: explore no path on which more than this many rounds (Paxos
    /// ballots) are started in all.
    pub max_ballots: Option<u64>,
    /// Explore no path longer than this many steps.
    pub max_depth: Option<usize>,
    pub threads: usize,
    /// Stop after this long, reporting what was explored.
    pub timeout: Option<Duration>,
    /// Stop after generating this many states (memory grows with them).
    pub max_states: Option<usize>,
    /// Stop when the process's resident memory reaches this many bytes.
    pub max_memory: Option<u64>,
    /// Stop when this is set (by a Ctrl-C handler), reporting what was explored.
    pub stop: Option<&'static std::sync::atomic::AtomicBool>,
    /// The core search: leave out orders that differ only by swapping steps of different nodes,
    /// where the protocol allows it (without a depth bound only).
    pub sleep_sets: bool,
    /// The core search: drop messages the protocol says can no longer do anything
    /// ([`Explorable::dead_message`]).
    pub drop_dead: bool,
    /// "Can this still break?" ([`from_here()`]): the copies the player has left. A way found on
    /// a duplicating network that needs more is looked for again without copies.
    pub max_copies: Option<usize>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            search: Search::Bfs,
            network: NetworkKind::Unordered,
            max_crashes: 1,
            max_round: 1,
            max_ballots: None,
            max_depth: None,
            threads: 1,
            timeout: None,
            max_states: None,
            max_memory: None,
            stop: None,
            sleep_sets: true,
            drop_dead: true,
            max_copies: None,
        }
    }
}

/// What one step did, for [`Explorable::milestones`].
pub struct StepEvent<'a, A: Actor, C> {
    pub node: NodeId,
    pub kind: StepKind<'a, A>,
    /// The node before the step; for a recovery, the image it restarts from.
    pub before: &'a A,
    pub after: &'a A,
    /// The notes the step emitted, in order.
    pub notes: &'a [A::Note],
    /// The checker after it has seen them.
    pub checker: &'a C,
}

/// The kind of a step, with what it acted on.
pub enum StepKind<'a, A: Actor> {
    /// `msg` from `from` was delivered; `again`: this path delivered it before (duplicating
    /// network only).
    Deliver {
        from: NodeId,
        msg: &'a A::Msg,
        again: bool,
    },
    Timer(&'a A::Timer),
    Crash,
    Recover,
}

/// The milestone the model adds on a duplicating network.
pub const DELIVERED_AGAIN: &str = "a message is delivered a second time";

/// What an actor must offer to be explored: states and messages the checker can hash, compare
/// and order, and share between its threads.
pub trait ExplorableActor:
    Actor<
        Msg: Ord + Hash + Send + Sync + 'static,
        Timer: Ord + Eq + Hash + Send + Sync + 'static,
        Note: Eq + Hash + Send + Sync + 'static,
    > + Eq
    + Send
    + Sync
    + 'static
{
}

impl<A> ExplorableActor for A
where
    A: Actor + Eq + Send + Sync + 'static,
    A::Msg: Ord + Hash + Send + Sync + 'static,
    A::Timer: Ord + Eq + Hash + Send + Sync + 'static,
    A::Note: Eq + Hash + Send + Sync + 'static,
{
}

/// A protocol's hooks for exhaustive checking, implemented in its folder (`explore.rs`).
pub trait Explorable:
    Model<Actor: ExplorableActor, Checker: Clone + Debug + Eq + Hash + Send + Sync>
{
    /// The "something good can happen" property: the search reports whether some state has it.
    const PROGRESS: &'static str;
    /// What the checker guards, in words, for "no order ... can break {this} from here".
    const SAFETY_WORDS: &'static str = "its safety";
    /// Whether the protocol has rounds that `max_round` bounds.
    const ROUNDS: bool = false;
    /// The round bound in words, for an answer that holds only within it: "rounds up to 2".
    fn round_bound_words(max_round: u64) -> String {
        format!("rounds up to {max_round}")
    }
    /// Knob values `check` uses unless told otherwise, to keep the search small.
    fn small_setup() -> &'static [(&'static str, u64)] {
        &[]
    }
    /// The depth bound `check` uses unless told otherwise, for protocols whose state space is
    /// infinite without one (timers that re-arm forever).
    fn default_max_depth() -> Option<usize> {
        None
    }
    /// Whether a node is inside the search bounds.
    fn within_bounds(_node: &Self::Actor, _options: &CheckOptions) -> bool {
        true
    }
    /// "Sometimes" properties beyond [`Self::PROGRESS`]: things some explored step must do, or a
    /// proof says little (the deep proof's test fails unless each is reached). At most 63.
    const MILESTONES: &'static [&'static str] = &[];
    /// The milestones `step` reaches, as bits (bit `i`: `MILESTONES[i]`). `marks` is this path's
    /// memory for milestones that take several steps (a crash, then a later prepare); it is
    /// kept out of the fingerprint, so a state first met on a path that set no mark reports less.
    fn milestones(_step: &StepEvent<'_, Self::Actor, Self::Checker>, _marks: &mut u64) -> u64 {
        0
    }
    /// Whether the history the checker has seen is inside the search bounds.
    fn history_within_bounds(_checker: &Self::Checker, _options: &CheckOptions) -> bool {
        true
    }
    /// Feeds what tells a live node's states apart to `state`. The default is the whole actor;
    /// a protocol may leave out fields that only set timer durations, which the search ignores.
    fn hash_for_search<H: std::hash::Hasher>(node: &Self::Actor, state: &mut H) {
        node.hash(state);
    }
    /// Feeds what tells the checker's states apart to `state`, for the core search. The default
    /// is the whole checker; a protocol may leave out what no later verdict reads (the order in
    /// which independent notes arrived), which lets steps of different nodes commute exactly.
    fn hash_checker_for_search<H: std::hash::Hasher>(checker: &Self::Checker, state: &mut H) {
        checker.hash(state);
    }
    /// Whether delivering `msg` from `from` to `node` can no longer do anything, now or in any
    /// state the node may reach (through any steps, crashes included): no change to its state,
    /// no message, no note, no timer. The core search drops such messages from the network, so
    /// that states differing only in dead messages are searched once. Must be exact about the
    /// handlers: `docs/checking.md` ("Dead messages") argues Paxos's, and the tests compare the
    /// search with and without it.
    fn dead_message(
        _node: &Self::Actor,
        _from: NodeId,
        _msg: &<Self::Actor as Actor>::Msg,
    ) -> bool {
        false
    }
    /// Whether the verdicts of the checker (and the bounds read from it) depend only on which
    /// notes each node emitted in which order, not on how the notes of different nodes
    /// interleave, up to [`Self::hash_checker_for_search`]. Then steps of different nodes commute
    /// and the core search may use sleep sets.
    const NODES_COMMUTE: bool = false;
    /// Whether the checker has seen the good thing happen.
    fn progress(checker: &Self::Checker) -> bool;
    /// A message in words: "Accept(2.G, green)".
    fn describe_message(setup: &Setup, msg: &<Self::Actor as Actor>::Msg) -> String;
    /// A timer in words: "election timer".
    fn describe_timer(timer: &<Self::Actor as Actor>::Timer) -> String;
}

/// Exhaustive checking of some protocol, as the command line sees it.
pub trait Explorer: Sync {
    fn small_setup(&self) -> &'static [(&'static str, u64)];
    fn default_max_depth(&self) -> Option<usize>;
    /// Whether the protocol has rounds (ballots) that `max_round` and `max_ballots` bound.
    fn has_rounds(&self) -> bool;
    fn check(&self, setup: &Setup, options: &CheckOptions) -> CheckReport;
    /// Why the core search cannot start from `setup`'s script, if it cannot.
    fn script_start_error(&self, setup: &Setup, options: &CheckOptions) -> Option<String>;
    /// "Can this still break?" from the exact state of `run`, a network player's run of this
    /// protocol (see [`from_here::from_here`]); `Err` says why it cannot be asked there.
    fn can_it_break(
        &self,
        setup: &Setup,
        run: &dyn crate::protocol::AnyEngine,
        options: &CheckOptions,
    ) -> Result<FromHere, String>;
}

impl<P: Explorable> Explorer for P {
    fn small_setup(&self) -> &'static [(&'static str, u64)] {
        P::small_setup()
    }
    fn default_max_depth(&self) -> Option<usize> {
        P::default_max_depth()
    }
    fn has_rounds(&self) -> bool {
        P::ROUNDS
    }
    fn check(&self, setup: &Setup, options: &CheckOptions) -> CheckReport {
        match options.search {
            Search::Core => check_core::<P>(setup, options, Some(Instant::now())),
            #[cfg(not(target_arch = "wasm32"))]
            Search::Bfs | Search::Dfs => check::<P>(setup, options),
            #[cfg(target_arch = "wasm32")]
            Search::Bfs | Search::Dfs => check_core::<P>(setup, options, None),
        }
    }
    fn script_start_error(&self, setup: &Setup, options: &CheckOptions) -> Option<String> {
        script_start_error::<P>(setup, options)
    }

    fn can_it_break(
        &self,
        setup: &Setup,
        run: &dyn crate::protocol::AnyEngine,
        options: &CheckOptions,
    ) -> Result<FromHere, String> {
        #[cfg(not(target_arch = "wasm32"))]
        let started = Some(Instant::now());
        #[cfg(target_arch = "wasm32")]
        let started = None;
        from_here::from_here::<P>(setup, run, options, started)
    }
}

/// What `beat-paxos check` prints.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    pub mode: &'static str,
    #[serde(rename = "break")]
    pub broken: Option<&'static str>,
    pub nodes: usize,
    pub search: Search,
    pub network: NetworkKind,
    pub max_crashes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_round: Option<u64>,
    pub max_depth: Option<usize>,
    /// Every state within the bounds was explored (no violation stopped the search, no limit).
    pub complete: bool,
    /// Why not, when not complete: `violation`, `timeout`, `max_states`, `memory` or
    /// `interrupted`.
    pub incomplete: Option<Incomplete>,
    pub unique_states: usize,
    /// States generated, counting repeats.
    pub states: usize,
    /// The longest path explored.
    pub depth: usize,
    /// Wall-clock time and throughput: the fields that differ between identical invocations.
    pub seconds: Option<f64>,
    pub states_per_sec: Option<u64>,
    /// Whether some explored state has the protocol's progress property, and its name.
    pub progress: Progress,
    /// The protocol's other "sometimes" properties (and, on a duplicating network, a message
    /// delivered twice): whether some explored step reached each. A proof in which one is never
    /// reached says less than it seems to.
    pub sometimes: Vec<Progress>,
    /// The first counterexample found, if any.
    pub violation: Option<Counterexample>,
    /// Where the counterexample was written as a scenario, with `--counterexample`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample_file: Option<String>,
    /// The counterexample as a scripted run (`Scenario::of_counterexample` makes it a file).
    #[serde(skip)]
    pub scripted: Option<Scripted>,
}

/// A counterexample as a run: its setup with the path as `script`, and the name and description
/// its scenario file carries. Plain data, so that the explorer needs no scenario files.
#[derive(Clone, Debug)]
pub struct Scripted {
    pub setup: Setup,
    pub name: String,
    pub description: String,
}

/// The timers `effects` arm, sorted and without repeats, if arming timers is all they do: how
/// both searches tell a crash that loses nothing (the restart arms what was armed).
fn timers_only<A: Actor>(effects: Vec<Effect<A>>) -> Option<Vec<A::Timer>>
where
    A::Timer: Ord,
{
    let mut armed = Vec::new();
    for effect in effects {
        match effect {
            Effect::SetTimer { timer, .. } => armed.push(timer),
            _ => return None,
        }
    }
    armed.sort();
    armed.dedup();
    Some(armed)
}

#[derive(Clone, Debug, Serialize)]
pub struct Progress {
    pub property: &'static str,
    pub reached: bool,
}

/// A path from the start to a state the checker rejects.
#[derive(Clone, Debug, Serialize)]
pub struct Counterexample {
    pub kind: String,
    pub detail: String,
    pub length: usize,
    /// "3. green receives Prepare(1.R) from red → sends Promise(1.R) to red".
    pub steps: Vec<String>,
    /// Whether the scenario it becomes, run by the simulator, reports the same kind of violation.
    pub replays: bool,
}

#[cfg(not(target_arch = "wasm32"))]
/// Explores `setup`'s cluster of protocol `P` within `options`' bounds.
pub fn check<P: Explorable>(setup: &Setup, options: &CheckOptions) -> CheckReport {
    let (actors, checker) = P::build(setup);
    let attackable = actors.iter().map(Actor::attackable).collect();
    let network = match options.network {
        NetworkKind::Duplicating => Network::new_unordered_duplicating([]),
        NetworkKind::Unordered | NetworkKind::Lossy => Network::new_unordered_nonduplicating([]),
    };
    let lossy = match options.network {
        NetworkKind::Lossy => LossyNetwork::Yes,
        _ => LossyNetwork::No,
    };
    let system = ActorModel::new((), ())
        .actors(actors.into_iter().map(|initial| Explored {
            initial,
            seed: setup.seed,
        }))
        .init_network(network)
        .lossy_network(lossy)
        .max_crashes(options.max_crashes);
    let started = Instant::now();
    let model = Exploration::<P> {
        system,
        checker,
        options: options.clone(),
        attackable,
        budget: Budget::new(
            started,
            options.timeout,
            options.max_states,
            options.max_memory,
            options.stop,
        ),
        milestones: AtomicU64::new(0),
        violated: AtomicBool::new(false),
    };
    let mut builder = model
        .checker()
        .threads(options.threads.max(1))
        .finish_when(HasDiscoveries::AnyFailures);
    if let Some(depth) = options.max_depth {
        builder = builder.target_max_depth(depth);
    }
    match options.search {
        Search::Bfs => finish(setup, options, started, builder.spawn_bfs()),
        Search::Dfs => finish(setup, options, started, builder.spawn_dfs()),
        Search::Core => check_core::<P>(setup, options, Some(started)),
    }
}

#[cfg(not(target_arch = "wasm32"))]
/// Waits for the search to end or run out of budget, and reports it. Out of budget, the threads
/// still drop the states they had queued, which takes most of a second per million: the report
/// does not wait for that, so a timeout is kept to within a few milliseconds. The threads then
/// finish, and the search is freed, beside the caller (who, on the command line, prints the
/// report and exits).
fn finish<P: Explorable, C>(
    setup: &Setup,
    options: &CheckOptions,
    started: Instant,
    mut search: C,
) -> CheckReport
where
    C: stateright::Checker<Exploration<P>> + Send + 'static,
{
    let threads = search.handles();
    let budget = &search.model().budget;
    let out_of_budget = loop {
        if threads.iter().all(|thread| thread.is_finished()) {
            break false;
        }
        if budget.exhausted() {
            break true;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let threads = match out_of_budget {
        false => {
            for thread in threads {
                if let Err(panic) = thread.join() {
                    std::panic::resume_unwind(panic);
                }
            }
            Vec::new()
        }
        true => {
            // A state found in bounds just before the budget ran out may still be being
            // counted.
            std::thread::sleep(Duration::from_millis(5));
            threads
        }
    };
    let report = report(setup, options, started, &search);
    std::thread::spawn(move || {
        for thread in threads {
            let _ = thread.join();
        }
        drop(search);
    });
    report
}

#[cfg(not(target_arch = "wasm32"))]
/// What a finished search found.
fn report<P: Explorable>(
    setup: &Setup,
    options: &CheckOptions,
    started: Instant,
    search: &impl stateright::Checker<Exploration<P>>,
) -> CheckReport {
    let seconds = started.elapsed().as_secs_f64();
    // Paths are rebuilt by replaying their steps, which must all be there again.
    let _rebuilding = search.model().budget.rebuilding_paths();
    let mut discoveries = search.discoveries();
    let violation = discoveries
        .remove(SAFETY)
        .map(|path| counterexample::<P>(setup, search.model(), path.into_vec()));
    let unique_states = search.unique_state_count();
    let incomplete = match &violation {
        Some(_) => Some(Incomplete::Violation),
        None => search.model().budget.reason(),
    };
    CheckReport {
        mode: setup.mode.name(),
        broken: setup.broken,
        nodes: setup.cluster_size(),
        search: options.search,
        network: options.network,
        max_crashes: options.max_crashes,
        max_round: P::ROUNDS.then_some(options.max_round),
        max_depth: options.max_depth,
        complete: incomplete.is_none(),
        incomplete,
        unique_states,
        states: search.state_count(),
        depth: search.max_depth(),
        seconds: Some((seconds * 1000.0).round() / 1000.0),
        states_per_sec: Some((unique_states as f64 / seconds.max(1e-9)) as u64),
        progress: Progress {
            property: P::PROGRESS,
            reached: discoveries.contains_key(P::PROGRESS),
        },
        sometimes: search
            .model()
            .milestones_reached()
            .into_iter()
            .map(|(property, reached)| Progress { property, reached })
            .collect(),
        counterexample_file: None,
        scripted: violation.as_ref().map(|(_, scripted)| scripted.clone()),
        violation: violation.map(|(counterexample, _)| counterexample),
    }
}

#[cfg(not(target_arch = "wasm32"))]
type PathOf<P> = Vec<(ExploreState<P>, Option<model::Step<<P as Model>::Actor>>)>;

/// Explores `setup`'s cluster of protocol `P` within `options`' bounds with the core search
/// (`dfs.rs`). `started` is when the search began, for the timeout and the report's seconds;
/// without it (the browser has no clock here) the search is bounded by states only.
pub fn check_core<P: Explorable>(
    setup: &Setup,
    options: &CheckOptions,
    started: Option<Instant>,
) -> CheckReport {
    let (initial, checker) = P::build(setup);
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
    // Round by round: a bug that needs only the first rounds is found in their small space
    // (depth first, the last round's space could keep the search busy for a while first); the
    // last pass alone is the complete search of the bounds asked for, and the report is its.
    let sleep_sets = options.sleep_sets && P::NODES_COMMUTE && options.max_depth.is_none();
    let pass = |max_round: u64| {
        let pass = CheckOptions {
            max_round,
            ..options.clone()
        };
        let dfs = Dfs::<P> {
            initial: initial.clone(),
            checker: checker.clone(),
            seed: setup.seed,
            options: &pass,
            budget: &budget,
            sleep_sets,
            dead: P::dead_message,
        };
        if setup.script.is_empty() {
            return dfs.run();
        }
        // A scenario's script: the search starts where it leads (the command line refuses a
        // script the search cannot follow before starting; see `script_start_error`).
        match dfs.after_script(&setup.script) {
            Ok((state, path)) => dfs.run_from(state, path),
            Err(problem) => {
                let mut state = dfs.initial_state();
                state.violations.push(Violation {
                    tick: 0,
                    kind: "script".into(),
                    detail: problem,
                });
                dfs.run_from(state, Vec::new())
            }
        }
    };
    // Not round by round from a script's end, which may already be past the first rounds.
    let earlier = match P::ROUNDS && setup.script.is_empty() {
        true => 1..options.max_round,
        false => 0..0,
    };
    let mut outcome = None;
    for round in earlier {
        let found = pass(round);
        if found.violation.is_some() || budget.exhausted() {
            outcome = Some(found);
            break;
        }
    }
    let outcome = outcome.unwrap_or_else(|| pass(options.max_round));
    let seconds = started.map(|started| started.elapsed().as_secs_f64());
    let violation = outcome.violation.map(|(path, last)| {
        counterexample_of::<P>(setup, options.network, setup.seed, path, &last.violations)
    });
    let incomplete = match &violation {
        Some(_) => Some(Incomplete::Violation),
        None => budget.reason(),
    };
    let mut sometimes: Vec<Progress> = P::MILESTONES
        .iter()
        .enumerate()
        .map(|(bit, property)| Progress {
            property,
            reached: outcome.milestones & (1 << bit) != 0,
        })
        .collect();
    if options.network == NetworkKind::Duplicating {
        sometimes.push(Progress {
            property: DELIVERED_AGAIN,
            reached: outcome.milestones & DELIVERED_AGAIN_BIT != 0,
        });
    }
    CheckReport {
        mode: setup.mode.name(),
        broken: setup.broken,
        nodes: setup.cluster_size(),
        search: Search::Core,
        network: options.network,
        max_crashes: options.max_crashes,
        max_round: P::ROUNDS.then_some(options.max_round),
        max_depth: options.max_depth,
        complete: incomplete.is_none(),
        incomplete,
        unique_states: outcome.unique_states,
        states: outcome.states,
        depth: outcome.depth,
        seconds: seconds.map(|seconds| (seconds * 1000.0).round() / 1000.0),
        states_per_sec: seconds
            .map(|seconds| (outcome.unique_states as f64 / seconds.max(1e-9)) as u64),
        progress: Progress {
            property: P::PROGRESS,
            reached: outcome.progress,
        },
        sometimes,
        counterexample_file: None,
        scripted: violation.as_ref().map(|(_, scripted)| scripted.clone()),
        violation: violation.map(|(counterexample, _)| counterexample),
    }
}

/// Why the core search cannot start where `setup`'s script leads, if it cannot (a step not
/// possible or doing nothing there, or leaving the bounds of `options`).
pub fn script_start_error<P: Explorable>(setup: &Setup, options: &CheckOptions) -> Option<String> {
    let (initial, checker) = P::build(setup);
    let budget = Budget::counting(None, None);
    let dfs = Dfs::<P> {
        initial,
        checker,
        seed: setup.seed,
        options,
        budget: &budget,
        sleep_sets: false,
        dead: P::dead_message,
    };
    dfs.after_script(&setup.script).err()
}

/// A stateright path as the steps of the core search, each with the node it acts on as it was
/// just before (for a recovery, the image it restarts from).
#[cfg(not(target_arch = "wasm32"))]
fn counterexample<P: Explorable>(
    setup: &Setup,
    model: &Exploration<P>,
    path: PathOf<P>,
) -> (Counterexample, Scripted) {
    let mut steps = Vec::new();
    for (state, action) in &path {
        let Some(action) = action else { continue };
        let nodes = &state.system.actor_states;
        let event = match action.clone() {
            ActorModelAction::Deliver { src, dst, msg } => Event::Deliver {
                from: usize::from(src),
                to: usize::from(dst),
                msg,
            },
            ActorModelAction::Drop(envelope) => Event::Lose {
                from: usize::from(envelope.src),
                to: usize::from(envelope.dst),
                msg: envelope.msg,
            },
            ActorModelAction::Timeout(id, timer) => Event::Timer {
                node: usize::from(id),
                timer,
            },
            ActorModelAction::Crash(id) => Event::Crash(usize::from(id)),
            ActorModelAction::Recover(id) => Event::Recover(usize::from(id)),
            // Our actors draw numbers from their state, never through stateright's choices.
            ActorModelAction::SelectRandom { .. } => continue,
        };
        let node = event.node();
        let before = match event {
            Event::Recover(_) => state.system.actor_storages[node]
                .clone()
                .unwrap_or_else(|| model.system.actors[node].initial.clone()),
            _ => nodes[node].actor.clone(),
        };
        steps.push((event, before));
    }
    let violations = path
        .last()
        .map(|(state, _)| state.violations.clone())
        .unwrap_or_default();
    counterexample_of::<P>(setup, model.options.network, setup.seed, steps, &violations)
}

/// A counterexample path in words and as a scripted scenario, replayed once to confirm it:
/// `path` holds each step with the node it acts on as it was just before (for a recovery, the
/// image it restarts from); `violations`, what the checker reported at its end.
fn counterexample_of<P: Explorable>(
    setup: &Setup,
    network: NetworkKind,
    seed: u64,
    path: Vec<(Event<P::Actor>, P::Actor)>,
    violations: &[Violation],
) -> (Counterexample, Scripted) {
    let (steps, script) = describe_path::<P>(setup, network, seed, path);
    let first = violations.first().cloned().unwrap_or_else(|| Violation {
        tick: 0,
        kind: "unknown".into(),
        detail: String::new(),
    });

    let mut run = setup.clone();
    run.script = script;
    let scripted = Scripted {
        setup: run,
        name: format!("Counterexample: {}", first.kind),
        description: format!(
            "Found by `beat-paxos check` in {} steps: {}.",
            steps.len(),
            first.detail
        ),
    };
    let replays = replays_to(&scripted.setup, &first.kind);
    let counterexample = Counterexample {
        kind: first.kind,
        detail: first.detail,
        length: steps.len(),
        steps,
        replays,
    };
    (counterexample, scripted)
}

/// A path in words ("3. green receives Prepare(1.R) from red → sends Promise(1.R) to red") and
/// as script steps: `path` holds each step with the node it acts on as it was just before (for
/// a recovery, the image it restarts from).
fn describe_path<P: Explorable>(
    setup: &Setup,
    network: NetworkKind,
    seed: u64,
    path: Vec<(Event<P::Actor>, P::Actor)>,
) -> (Vec<String>, Vec<ScriptStep>) {
    let name = |node: NodeId| setup.mode.node_name(setup, node);
    let duplicating = network == NetworkKind::Duplicating;
    let mut delivered = BTreeSet::new();
    let mut steps = Vec::new();
    let mut script = Vec::new();
    for (event, mut actor) in path {
        let (text, effects, step) = match event {
            Event::Deliver { from, to, msg } => {
                let text = format!(
                    "{} receives {} from {}",
                    name(to),
                    P::describe_message(setup, &msg),
                    name(from)
                );
                let copy = duplicating && !delivered.insert((from, to, msg.clone()));
                let json = serde_json::to_value(&msg).unwrap_or_default();
                let effects =
                    dfs::run_handler(seed, to, &mut actor, |a, cx| a.on_message(from, msg, cx));
                let step = ScriptStep::Deliver {
                    from,
                    to,
                    msg: json,
                    copy,
                };
                (text, effects, step)
            }
            Event::Lose { from, to, msg } => {
                let text = format!(
                    "the network loses {} from {} to {}",
                    P::describe_message(setup, &msg),
                    name(from),
                    name(to)
                );
                let msg = serde_json::to_value(&msg).unwrap_or_default();
                (text, Vec::new(), ScriptStep::Lose { from, to, msg })
            }
            Event::Timer { node, timer } => {
                let text = format!("{}'s {} fires", name(node), P::describe_timer(&timer));
                let json = serde_json::to_value(&timer).unwrap_or_default();
                let effects =
                    dfs::run_handler(seed, node, &mut actor, |a, cx| a.on_timer(timer, cx));
                (text, effects, ScriptStep::Timer { node, timer: json })
            }
            Event::Crash(node) => (
                format!("{} crashes", name(node)),
                Vec::new(),
                ScriptStep::Kill { node },
            ),
            Event::Recover(node) => {
                let effects = dfs::run_handler(seed, node, &mut actor, |a, cx| a.on_start(cx));
                (
                    format!("{} recovers", name(node)),
                    effects,
                    ScriptStep::Recover { node },
                )
            }
        };
        let consequences = describe_effects::<P>(setup, &effects);
        let number = steps.len() + 1;
        steps.push(if consequences.is_empty() {
            format!("{number}. {text}")
        } else {
            format!("{number}. {text} → {consequences}")
        });
        script.push(step);
    }
    (steps, script)
}

/// "starts ballot 1.R; sends Prepare(1.R) to green and blue".
fn describe_effects<P: Explorable>(setup: &Setup, effects: &[Effect<P::Actor>]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut sends: Vec<(String, Vec<String>)> = Vec::new();
    let flush = |sends: &mut Vec<(String, Vec<String>)>, parts: &mut Vec<String>| {
        for (msg, to) in sends.drain(..) {
            parts.push(format!("sends {msg} to {}", to.join(" and ")));
        }
    };
    for effect in effects {
        match effect {
            Effect::Send { to, msg } => {
                let msg = P::describe_message(setup, msg);
                let to = setup.mode.node_name(setup, *to);
                match sends.iter_mut().find(|(m, _)| *m == msg) {
                    Some((_, recipients)) => recipients.push(to),
                    None => sends.push((msg, vec![to])),
                }
            }
            Effect::Note(note) => {
                flush(&mut sends, &mut parts);
                if let Some(text) = P::note_text(note) {
                    parts.push(text);
                }
            }
            Effect::SetTimer { .. } | Effect::CancelTimer { .. } => {}
        }
    }
    flush(&mut sends, &mut parts);
    parts.join("; ")
}

/// Whether `setup` (a scripted run), run by the simulator, reports a violation of kind `kind`
/// first. A scenario file of it reads back as the same setup (`tests/check.rs` shows it).
fn replays_to(setup: &Setup, kind: &str) -> bool {
    if setup.validate().is_err() {
        return false;
    }
    let (summary, simulation) = crate::simulation::run(setup, false);
    simulation.engine().script_error().is_none()
        && summary.violations.first().is_some_and(|v| v.kind == kind)
}
