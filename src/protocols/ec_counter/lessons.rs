//! The ec-counter lessons: divergence under a partition, convergence once it heals, and what
//! goes wrong without `max`. Each objective reads the run's trace from the start.

use super::EcCounter;
use super::node::{EcNode, Msg, Note};
use crate::protocol::engine_of;
use crate::protocol::{AnyEngine, Lesson, Pause, first_violation, no_pauses};
use crate::sim::{Action, Event, Faults, Tick};

pub const LESSONS: &[Lesson] = &[
    Lesson {
        name: "ec-diverge",
        title: "Counters drift apart",
        text: "Each server keeps a number; clients (the small dots) set it to random values, and \
               a server keeps a set only if it is larger. Every 0.1 s the servers tell each other \
               their value, so they keep agreeing. Cut a server off and they no longer can.",
        objective: "Keep two servers that cannot reach each other at different values for 0.15 s.",
        // The clients write in bursts: a cut made in the first 0.3 s meets the objective, one
        // made after the first burst (0.4 s to 1.1 s) does not, so the hint comes at once.
        hint_after: 100,
        hint: "At once, while the clients are writing: select a server and press I to cut it \
               off from the other servers (its clients can still reach it). Try again starts \
               paused.",
        done: "Cut off, each side accepts writes the other cannot see: available, but not \
               consistent. That is the trade an eventually consistent system makes.",
        watch: false,
        replay: include_str!("../../../assets/lessons/ec-diverge.json"),
        goal: apart_and_different,
        starts_paused: Some(
            "Paused: the clients start writing the moment the round runs. Cut a server off \
             now (select it, then press I), then press space to play.",
        ),
        pauses: no_pauses,
    },
    Lesson {
        name: "ec-converge",
        title: "Heal, and they agree",
        text: "Server 0 has been cut off from the other two since the start, and the values have \
               drifted apart. Heal the network and watch the syncs carry the largest value \
               everywhere.",
        objective: "Heal the network and see every server hold the largest value any server had.",
        hint_after: 1_500,
        hint: "Press H (or the 'heal network' button) to heal every cut link.",
        done: "Every server now holds the largest value any of them had. Taking the maximum never \
               loses a write and does not care in which order, or how often, syncs arrive.",
        watch: false,
        replay: include_str!("../../../assets/lessons/ec-converge.json"),
        goal: healed_and_converged_to_the_maximum,
        starts_paused: None,
        pauses: no_pauses,
    },
    Lesson {
        name: "break-no-max",
        title: "Break it: no max",
        text: "These servers are broken: a set overwrites the value even when it is smaller. \
               Each client sends one set, and a client that gets no answer sends its set again \
               later. By then a larger value may have synced in, and the old set is smaller.",
        objective: "Make the checker catch a server's value going down.",
        hint_after: 120,
        hint: "The game pauses as the first set is sent: select the server it goes to and press \
               D to drop the next message that server sends, its answer to the set.",
        done: "The client's second copy of its set overwrote a larger value: the counter went \
               down. Networks repeat and reorder messages; with max, that is harmless.",
        watch: false,
        replay: include_str!("../../../assets/lessons/break-no-max.json"),
        goal: first_violation,
        starts_paused: None,
        pauses: pause_as_the_first_set_is_sent,
    },
];

/// How long (ticks) two servers must stay apart and different in `ec-diverge`.
const DIVERGE_HOLD: Tick = 150;

/// Reads the trace in order with each server's value and the network's faults as they were at
/// each event; the first tick at which `met` says yes.
fn first_moment(
    run: &dyn AnyEngine,
    mut met: impl FnMut(Tick, &Event<EcNode>, &[u64], &Faults) -> bool,
) -> Option<Tick> {
    let sim = engine_of::<EcCounter>(run).expect("an ec-counter lesson runs ec-counter");
    let servers = sim
        .actors()
        .iter()
        .filter(|actor| matches!(actor, EcNode::Server(_)))
        .count();
    let mut faults = Faults::new(sim.actors().len());
    let mut values = vec![0; servers];
    sim.trace().iter().find_map(|traced| {
        match &traced.event {
            Event::Action { action } => faults.apply(action),
            Event::Note {
                node,
                note: Note::ServerValue { value },
            } => values[*node] = *value,
            _ => {}
        }
        met(traced.tick, &traced.event, &values, &faults).then_some(traced.tick)
    })
}

fn apart(faults: &Faults, a: usize, b: usize) -> bool {
    !faults.link_open(a, b) || !faults.link_open(b, a)
}

fn apart_and_different(run: &dyn AnyEngine) -> Option<Tick> {
    let mut since: Option<Tick> = None;
    first_moment(run, |tick, _, values, faults| {
        let servers = values.len();
        let diverged = (0..servers)
            .any(|a| (a + 1..servers).any(|b| apart(faults, a, b) && values[a] != values[b]));
        if !diverged {
            since = None;
            return false;
        }
        tick - *since.get_or_insert(tick) >= DIVERGE_HOLD
    })
}

fn healed_and_converged_to_the_maximum(run: &dyn AnyEngine) -> Option<Tick> {
    let mut largest = 0;
    let mut diverged = false;
    let mut healed = false;
    first_moment(run, |_, event, values, faults| {
        largest = largest.max(values.iter().copied().max().unwrap_or(0));
        diverged |= values.iter().any(|value| *value != values[0]);
        // Only a heal after the values drifted apart counts: there must be something to mend.
        if let Event::Action {
            action: Action::HealAll | Action::Heal { .. },
        } = event
        {
            healed |= diverged && faults.all_healed();
        }
        healed && values.iter().all(|value| *value == largest)
    })
}

/// A pause as the first client sends its set, naming the server whose answer to drop.
fn pause_as_the_first_set_is_sent(run: &dyn AnyEngine) -> Vec<Pause> {
    let Some(sim) = engine_of::<EcCounter>(run) else {
        return Vec::new();
    };
    sim.trace()
        .iter()
        .find_map(|traced| match &traced.event {
            Event::Send {
                from,
                to,
                msg: Msg::Set { value, .. },
                ..
            } => Some(Pause {
                tick: traced.tick,
                text: format!(
                    "Client {from} just sent set {value} to server {to}. Select server {to} and \
                     press D now: the next message it sends, its answer, will be dropped."
                ),
            }),
            _ => None,
        })
        .into_iter()
        .collect()
}
