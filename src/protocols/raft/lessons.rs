//! The Raft lessons: a first election and its commands, then the three broken rules made to
//! break. Each objective reads the run (its trace, or the checker that followed it), so it holds
//! from the exact step it was met and a rewind before that step opens it again.

use super::node::{Note, RaftNode};
use super::{Raft, RaftChecker};
use crate::protocol::engine_of;
use crate::protocol::{AnyEngine, Lesson, Pause, ProtocolEngine, first_violation};
use crate::sim::{Action, Event, NodeId, Tick};
use crate::view::colour_name;

pub const LESSONS: &[Lesson] = &[
    Lesson {
        name: "raft-first-election",
        title: "Raft: a first election",
        text: "Three servers keep one log. A server that hears from no leader for a while starts \
               an election for a new term and asks the others for their votes (vote?); with a \
               majority it leads that term. The leader appends each client command to its log, \
               copies it to the others (append N), and commits it once a majority holds it: the \
               `|` in a server's log marks its commit index.",
        objective: "Watch a leader be elected and every command commit.",
        hint_after: 3_000,
        hint: "Nothing to do: press + to speed up, or step through it with the step button.",
        done: "Every command is committed: a majority holds each, so any later leader, which \
               needs the votes of a majority, has them too.",
        watch: true,
        replay: include_str!("../../../assets/lessons/raft-first-election.json"),
        goal: every_command_committed,
        starts_paused: Some(
            "Paused at the start. Press step (the |> button, or .) to see each message \
             leave and arrive; press space to let it run.",
        ),
        pauses: crate::protocol::no_pauses,
    },
    Lesson {
        name: "raft-leader-crash",
        title: "Raft: the leader crashes, the log survives",
        text: "Kill the leader right after it commits the first command. The others stop \
               hearing its heartbeats, one of them starts an election for a later term, and \
               only a server whose log holds the committed entry can win it. The new leader \
               carries on with the rest of the commands.",
        objective: "Kill a leader after it commits a command; a leader of a later term holds \
                    that entry and every command commits.",
        hint_after: 1_500,
        hint: "The game pauses as the leader commits the first command: double-click it then \
               (or select it and press K).",
        done: "The committed entry survived its leader: it was on a majority, and a server \
               votes only for a log at least as up to date as its own, so the new leader had \
               it.",
        watch: false,
        replay: include_str!("../../../assets/lessons/raft-leader-crash.json"),
        goal: leader_killed_after_a_commit_then_all_committed,
        starts_paused: None,
        pauses: leader_crash_pauses,
    },
    Lesson {
        name: "raft-old-leader",
        title: "Raft: an old leader cut off",
        text: "Isolate the leader right after it appends a command, before any other server has \
               it. Cut off, it cannot reach a majority, so the entry stays uncommitted while the \
               others elect a leader of a later term. When the old leader comes back it hears \
               the later term, steps down, and its uncommitted entry is overwritten.",
        objective: "A leader's own uncommitted entry overwritten after a later term's leader \
                    took over.",
        hint_after: 1_500,
        hint: "The game pauses as the leader appends the first command: select it and press I \
               then.",
        done: "Overwritten, and rightly: the entry was never on a majority, so it was never \
               committed and no client was told it was done. The client retried its command \
               with the new leader.",
        watch: false,
        replay: include_str!("../../../assets/lessons/raft-old-leader.json"),
        goal: own_entry_overwritten,
        starts_paused: None,
        pauses: old_leader_pauses,
    },
    Lesson {
        name: "raft-break-forget-vote",
        title: "Break it: a vote forgotten",
        text: "In this cluster a server forgets whom it voted for when it crashes. Right after a \
               server votes for the first candidate, crash it, cut the candidate off from the \
               third server (whose vote has not come yet) and pause the clients. When the voter \
               recovers, the cut-off server runs for the same term and gets its vote again.",
        objective: "Two leaders of one term: election safety broken.",
        hint_after: 2_000,
        hint: "The game pauses at the first vote: kill the voter (double-click), cut the \
               candidate from the third server (drag between them), pause the clients (P), and \
               bring the voter back a few hops later (double-click again).",
        done: "Two leaders in one term. A real Raft server writes votedFor to disk before \
               answering, so that a vote survives a crash; that is what keeps a term to one \
               leader.",
        watch: false,
        replay: include_str!("../../../assets/lessons/raft-break-forget-vote.json"),
        goal: first_violation,
        starts_paused: None,
        pauses: forget_vote_pauses,
    },
    Lesson {
        name: "raft-break-no-up-to-date-check",
        title: "Break it: votes without the log check",
        text: "Here servers vote without checking that the candidate's log is as up to date as \
               their own. Keep one server isolated while the others commit the first command, so \
               that its term climbs; then isolate the leader. The stale server wins, lacking the \
               committed entry.",
        objective: "A leader without a committed entry: leader completeness broken.",
        hint_after: 2_000,
        hint: "Isolate blue at once (select it, press I), and again when the game pauses as it \
               rejoins. When the game pauses after the first commit, pause the clients (P), and \
               when it pauses again, isolate the leader.",
        done: "The new leader never had the committed entry and will overwrite it. A correct \
               server only votes for a log at least as up to date as its own, and every \
               committed entry is on a majority, so no such candidate can win.",
        watch: false,
        replay: include_str!("../../../assets/lessons/raft-break-no-up-to-date-check.json"),
        goal: first_violation,
        starts_paused: Some(
            "Paused at the start: isolate blue now (select it, press I), before the first \
             election.",
        ),
        pauses: no_up_to_date_pauses,
    },
    Lesson {
        name: "raft-break-commit-old-term",
        title: "Break it: Figure 8 by hand",
        text: "This leader commits an entry of an earlier term as soon as a majority holds it, \
               which the paper's Figure 8 shows to be unsafe. Leave the first leader alone with \
               a fresh entry, then the second leader with another of a later term, and keep the \
               second away while the first comes back, wins and copies its old entry to a \
               majority. Kill the first leader at the commit: the second comes back and wins \
               without it.",
        objective: "A committed entry missing from a later leader: leader completeness broken.",
        hint_after: 2_000,
        hint: "The game pauses at each moment: isolate a leader right after it appends a \
               command (I), pause the clients after the second (P), isolate that second leader \
               again each time it rejoins, and kill the old leader (double-click) as it commits \
               the old entry.",
        done: "The entry was on a majority and committed, yet a later leader did not have it: a \
               server with a later term's entry wins a vote over one with an older entry. \
               Correct Raft commits an old entry only together with one of the leader's own \
               term.",
        watch: false,
        replay: include_str!("../../../assets/lessons/raft-break-commit-old-term.json"),
        goal: first_violation,
        starts_paused: None,
        pauses: commit_old_term_pauses,
    },
];

fn raft(run: &dyn AnyEngine) -> &ProtocolEngine<Raft> {
    engine_of::<Raft>(run).expect("a Raft lesson runs Raft")
}

/// When the last client had its last command acknowledged, as the checker followed the run.
fn every_command_committed(run: &dyn AnyEngine) -> Option<Tick> {
    let sim = raft(run);
    let clients = sim.actors().iter().filter_map(RaftNode::as_client).count();
    let checker: &RaftChecker = sim.checker();
    checker
        .last_done_at
        .filter(|_| checker.clients_done >= clients)
}

/// A leader killed after it committed an entry, a later term's leader that holds that entry,
/// and then every client done: met at the last client's last acknowledgement.
fn leader_killed_after_a_commit_then_all_committed(run: &dyn AnyEngine) -> Option<Tick> {
    let sim = raft(run);
    let clients = sim.actors().iter().filter_map(RaftNode::as_client).count();
    let mut leader: Option<(NodeId, u64)> = None;
    let mut leader_committed = 0;
    let mut killed: Option<(u64, u64)> = None;
    let mut successor = false;
    let mut logs: Vec<u64> = vec![0; sim.actors().len()];
    let mut done = 0;
    sim.trace().iter().find_map(|traced| {
        match &traced.event {
            Event::Note { node, note } => match note {
                Note::BecameLeader { term } => {
                    if let Some((killed_term, index)) = killed {
                        successor |= *term > killed_term && logs[*node] >= index;
                    }
                    leader = Some((*node, *term));
                    leader_committed = 0;
                }
                Note::Committed { index } if leader.is_some_and(|(l, _)| l == *node) => {
                    leader_committed = *index;
                }
                Note::Appended { index, .. } => logs[*node] = *index,
                Note::Truncated { len } => logs[*node] = *len,
                Note::ClientDone => done += 1,
                _ => {}
            },
            Event::Action {
                action: Action::Kill { node },
            } => {
                if let Some((l, term)) = leader
                    && l == *node
                    && leader_committed > 0
                    && killed.is_none()
                {
                    killed = Some((term, leader_committed));
                }
            }
            _ => {}
        }
        (successor && done >= clients).then_some(traced.tick)
    })
}

/// The first commit by a leader.
fn leader_crash_pauses(run: &dyn AnyEngine) -> Vec<Pause> {
    let mut leader = None;
    let mut seen = false;
    moments(run, |event| {
        let (node, note) = note(event)?;
        match note {
            Note::BecameLeader { .. } => leader = Some(node),
            Note::Committed { index } if leader == Some(node) && !seen => {
                seen = true;
                return Some(format!(
                    "{} leads and just committed #{index}. Kill it now: double-click it, or \
                     select it and press K.",
                    colour_name(node)
                ));
            }
            _ => {}
        }
        None
    })
}

/// A server that led a term cut its log below an entry of that term: the entry it appended as
/// leader was overwritten.
fn own_entry_overwritten(run: &dyn AnyEngine) -> Option<Tick> {
    let sim = raft(run);
    let mut led: Vec<Option<u64>> = vec![None; sim.actors().len()];
    let mut logs: Vec<Vec<u64>> = vec![Vec::new(); sim.actors().len()];
    sim.trace().iter().find_map(|traced| {
        let (node, note) = note(&traced.event)?;
        match note {
            Note::BecameLeader { term } => led[node] = Some(*term),
            Note::Appended { entry, .. } => logs[node].push(entry.term),
            Note::Truncated { len } => {
                let keep = (*len as usize).min(logs[node].len());
                let cut = logs[node].split_off(keep);
                if cut.iter().any(|term| Some(*term) == led[node]) {
                    return Some(traced.tick);
                }
            }
            _ => {}
        }
        None
    })
}

/// The first entry a leader appends.
fn old_leader_pauses(run: &dyn AnyEngine) -> Vec<Pause> {
    let mut leader = None;
    let mut seen = false;
    moments(run, |event| {
        let (node, note) = note(event)?;
        match note {
            Note::BecameLeader { term } => leader = Some((node, *term)),
            Note::Appended { index, entry } if leader == Some((node, entry.term)) && !seen => {
                seen = true;
                return Some(format!(
                    "{} leads term {} and just appended #{index}, which no other server has \
                     yet. Isolate it now: select it and press I.",
                    colour_name(node),
                    entry.term
                ));
            }
            _ => {}
        }
        None
    })
}

/// A pause at each trace event `words` has something to say about.
fn moments(
    run: &dyn AnyEngine,
    mut words: impl FnMut(&Event<RaftNode>) -> Option<String>,
) -> Vec<Pause> {
    raft(run)
        .trace()
        .iter()
        .filter_map(|traced| {
            words(&traced.event).map(|text| Pause {
                tick: traced.tick,
                text,
            })
        })
        .collect()
}

fn note(event: &Event<RaftNode>) -> Option<(NodeId, &Note)> {
    match event {
        Event::Note { node, note } => Some((*node, note)),
        _ => None,
    }
}

/// The first vote a server grants another.
fn forget_vote_pauses(run: &dyn AnyEngine) -> Vec<Pause> {
    let mut voted = false;
    moments(run, |event| {
        let (node, &Note::Voted { candidate, .. }) = note(event)? else {
            return None;
        };
        if voted || node == candidate {
            return None;
        }
        voted = true;
        Some(format!(
            "{} just voted for {}. Kill it now (double-click it), cut {} from the third server, \
             pause the clients (P), and recover {} a few hops later.",
            colour_name(node),
            colour_name(candidate),
            colour_name(candidate),
            colour_name(node)
        ))
    })
}

/// Blue rejoining while it must stay away, the first commit, and the moment to isolate the
/// leader.
fn no_up_to_date_pauses(run: &dyn AnyEngine) -> Vec<Pause> {
    let mut committed = false;
    let mut heals = 0;
    let mut pauses = moments(run, |event| match event {
        Event::Action {
            action: Action::HealAll,
        } if !committed && heals == 0 => {
            heals += 1;
            Some("Blue rejoins: isolate it again (select it, press I).".into())
        }
        _ => {
            let (node, Note::Committed { index: 1 }) = note(event)? else {
                return None;
            };
            if committed {
                return None;
            }
            committed = true;
            Some(format!(
                "{} just committed the first command. Pause the clients (P); the game stops \
                 again when it is time to isolate the leader.",
                colour_name(node)
            ))
        }
    });
    // The leader is isolated once blue has started an election of its own, its term above the
    // leader's.
    let blue_runs = moments(run, |event| {
        matches!(note(event), Some((2, Note::ElectionStarted { .. }))).then(|| {
            "Blue's term is now above the leader's: isolate the leader (select it, press I).".into()
        })
    });
    pauses.extend(blue_runs.into_iter().take(1));
    pauses.sort_by_key(|p| p.tick);
    pauses
}

/// The first two leaders' first appends, every rejoining of the second until the old entry is
/// committed, and that commit.
fn commit_old_term_pauses(run: &dyn AnyEngine) -> Vec<Pause> {
    let mut leaders: Vec<(NodeId, u64)> = Vec::new();
    let mut isolated = 0;
    let mut committed = false;
    moments(run, |event| {
        if let Event::Action {
            action: Action::HealAll,
        } = event
        {
            return (leaders.len() >= 2 && !committed).then(|| {
                format!(
                    "{} rejoins: isolate it again, so that it stays away until the old entry \
                     is committed.",
                    colour_name(leaders[1].0)
                )
            });
        }
        let (node, note) = note(event)?;
        match note {
            Note::BecameLeader { term } => {
                leaders.push((node, *term));
                None
            }
            Note::Appended { entry, .. }
                if leaders.last() == Some(&(node, entry.term)) && isolated < 2 =>
            {
                isolated += 1;
                let more = if isolated == 2 {
                    " and pause the clients (P)"
                } else {
                    ""
                };
                Some(format!(
                    "{} leads term {} and just appended a command: isolate it now (I){more}.",
                    colour_name(node),
                    entry.term
                ))
            }
            Note::Committed { .. }
                if isolated == 2 && !committed && Some(&node) == leaders.last().map(|(n, _)| n) =>
            {
                committed = true;
                Some(format!(
                    "{} just committed its old entry: kill it now (double-click it).",
                    colour_name(node)
                ))
            }
            _ => None,
        }
    })
}
