//! Raft's safety properties (the paper's Figure 3), checked at every note, plus what a client
//! sees. The checker keeps its own copy of every server's log and state machine, rebuilt from the
//! notes alone, so it trusts nothing a server claims about itself:
//! - election safety: at most one leader per term;
//! - log matching: two logs with an entry of the same index and term are identical up to it;
//! - leader completeness: an entry committed before a term's election is in that leader's log;
//! - state machine safety: no two servers apply different entries at one index;
//! - linearizability: each command takes effect at most once on a server, every server's state
//!   machine runs one sequence of commands, and a command is acknowledged only once applied.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::node::{Command, Entry, Index, Note, RaftNode, Term};
use crate::sim::{Checker, NodeId, Tick, Violation};

pub const ELECTION_SAFETY: &str = "election-safety";
pub const LOG_MATCHING: &str = "log-matching";
pub const LEADER_COMPLETENESS: &str = "leader-completeness";
pub const STATE_MACHINE_SAFETY: &str = "state-machine-safety";
pub const LINEARIZABILITY: &str = "linearizability";

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct RaftChecker {
    /// Each server's log, as its notes tell it.
    logs: Vec<Vec<Entry>>,
    /// Each server's commit index since it last started.
    commits: Vec<Index>,
    /// Each server's state machine since it last started: the commands applied, in order.
    machines: Vec<Vec<Command>>,
    /// The winner of each term's election.
    pub leaders: BTreeMap<Term, NodeId>,
    /// The entry at each index when a server first committed it.
    pub committed: BTreeMap<Index, Entry>,
    /// The entry at each index when a server first applied it.
    applied: BTreeMap<Index, Entry>,
    /// The one sequence every state machine must follow (the longest seen so far).
    order: Vec<Command>,
    pub acknowledged: BTreeSet<Command>,
    pub clients_done: usize,
    /// When the latest client finished (the round is won once every client has).
    pub last_done_at: Option<Tick>,
    /// Per server, the term it leads, until a note shows it stepped down or restarted.
    leading: Vec<Option<Term>>,
    /// The dangerous situations reached so far (see [`situation`]), for chaos reports.
    pub situations: BTreeSet<&'static str>,
    /// Elections started so far, by any server: what `check --max-ballots` bounds.
    #[serde(skip)]
    pub elections: u64,
}

/// The dangerous situations a run may reach, as chaos reports count them.
pub mod situation {
    /// A server won an election while the leader of an earlier term still believed it led
    /// (it had noted nothing since that shows it stepped down: no vote, no election, no restart,
    /// no entry of a later term).
    pub const TWO_LEADERS: &str = "two_leaders_in_different_terms";
    /// A server cut entries off its log: entries no majority had committed were overwritten.
    pub const OVERWRITTEN: &str = "uncommitted_entry_overwritten";
    /// An entry of an earlier term reached a majority of logs, uncommitted, after a later term's
    /// leader was elected: the paper's Figure 8 (c), where committing it would be unsafe.
    pub const FIGURE_8: &str = "figure_8_pattern";
}

impl RaftChecker {
    /// A checker for `servers` servers with empty logs.
    pub fn new(servers: usize) -> Self {
        RaftChecker {
            logs: vec![Vec::new(); servers],
            commits: vec![0; servers],
            machines: vec![Vec::new(); servers],
            leading: vec![None; servers],
            ..Default::default()
        }
    }

    /// A checker for a cluster that may start with logs (a handcrafted situation).
    pub fn for_cluster(nodes: &[RaftNode]) -> Self {
        let logs: Vec<Vec<Entry>> = nodes
            .iter()
            .filter_map(|n| n.as_server().map(|s| s.log.clone()))
            .collect();
        RaftChecker {
            logs,
            ..RaftChecker::new(0)
        }
        .with_servers()
    }

    /// Per-server state sized to the logs.
    fn with_servers(mut self) -> Self {
        let n = self.logs.len();
        self.commits = vec![0; n];
        self.machines = vec![Vec::new(); n];
        self.leading = vec![None; n];
        self
    }

    /// Before `note` changes the copies: the situations it reaches.
    fn watch_before(&mut self, node: NodeId, note: &Note) {
        match note {
            Note::Started | Note::ElectionStarted { .. } | Note::Voted { .. } => {
                self.leading[node] = None
            }
            Note::Appended { entry, .. } if self.leading[node].is_some_and(|t| t < entry.term) => {
                self.leading[node] = None;
            }
            Note::BecameLeader { term } => {
                let older = self.leading.iter().flatten().any(|t| t < term);
                if older {
                    self.situations.insert(situation::TWO_LEADERS);
                }
                self.leading[node] = Some(*term);
            }
            Note::Truncated { len } if (*len as usize) < self.logs[node].len() => {
                self.situations.insert(situation::OVERWRITTEN);
            }
            _ => {}
        }
    }

    /// After `note` changed the copies: an earlier term's entry on a majority, uncommitted.
    fn watch_after(&mut self, note: &Note) {
        let Note::Appended { index, entry } = note else {
            return;
        };
        let latest = self.leaders.keys().next_back().copied().unwrap_or(0);
        let Some(i) = (*index as usize).checked_sub(1) else {
            return;
        };
        let holders = self.logs.iter().filter(|l| l.get(i) == Some(entry)).count();
        if entry.term < latest
            && !self.committed.contains_key(index)
            && 2 * holders > self.logs.len()
        {
            self.situations.insert(situation::FIGURE_8);
        }
    }

    /// The checker's copy of server `node`'s log.
    pub fn log(&self, node: NodeId) -> &[Entry] {
        &self.logs[node]
    }
}

/// "green": a server as violations name it, by its colour as the game does.
pub fn node_name(node: NodeId) -> String {
    crate::view::colour_name(node).to_string()
}

/// "#3 (term 2, client 1's command 1)": an entry as violations describe it, in a cluster of
/// `servers` servers (clients are the nodes after them, named from 1 as the game does).
fn show(index: Index, entry: &Entry, servers: usize) -> String {
    format!(
        "#{index} (term {}, {})",
        entry.term,
        show_command(&entry.command, servers)
    )
}

fn show_command(command: &Command, servers: usize) -> String {
    if command.is_player() {
        return format!("the player's command of tick {}", command.seq);
    }
    format!(
        "client {}'s command {}",
        command.client.saturating_sub(servers) + 1,
        command.seq + 1
    )
}

impl Checker<Note> for RaftChecker {
    fn observe(&mut self, tick: Tick, node: NodeId, note: &Note, violations: &mut Vec<Violation>) {
        self.watch_before(node, note);
        self.check(tick, node, note, violations);
        self.watch_after(note);
    }
}

impl RaftChecker {
    fn check(&mut self, tick: Tick, node: NodeId, note: &Note, violations: &mut Vec<Violation>) {
        let servers = self.logs.len();
        let mut flag = |kind: &str, detail: String| {
            violations.push(Violation {
                tick,
                kind: kind.into(),
                detail,
            })
        };
        match note {
            Note::ClientDone => {
                self.clients_done += 1;
                self.last_done_at = Some(tick);
            }
            Note::Started => {
                self.commits[node] = 0;
                self.machines[node].clear();
            }
            Note::ElectionStarted { .. } => self.elections += 1,
            Note::Voted { .. } | Note::Redirected { .. } => {}
            Note::BecameLeader { term } => {
                if let Some(&other) = self.leaders.get(term).filter(|l| **l != node) {
                    flag(
                        ELECTION_SAFETY,
                        format!(
                            "{} and {} both lead term {term}",
                            node_name(other),
                            node_name(node)
                        ),
                    );
                }
                self.leaders.entry(*term).or_insert(node);
                let log = &self.logs[node];
                // The first committed entry missing is reported; the rest follow from it.
                let missing = self.committed.iter().find(|(index, entry)| {
                    entry.term < *term && log.get(**index as usize - 1) != Some(*entry)
                });
                if let Some((&index, entry)) = missing {
                    flag(
                        LEADER_COMPLETENESS,
                        format!(
                            "{} leads term {term} without committed entry {}",
                            node_name(node),
                            show(index, entry, servers)
                        ),
                    );
                }
            }
            Note::Truncated { len } => self.logs[node].truncate(*len as usize),
            Note::Appended { index, entry } => {
                let log = &mut self.logs[node];
                if *index != log.len() as Index + 1 {
                    flag(
                        LOG_MATCHING,
                        format!(
                            "{} wrote {} with a log of {} entries",
                            node_name(node),
                            show(*index, entry, servers),
                            log.len()
                        ),
                    );
                    return;
                }
                log.push(*entry);
                let mine = &self.logs[node][..*index as usize];
                for (other, theirs) in self.logs.iter().enumerate() {
                    let same_entry =
                        theirs.get(*index as usize - 1).map(|e| e.term) == Some(entry.term);
                    if other != node && same_entry && theirs[..*index as usize] != *mine {
                        flag(
                            LOG_MATCHING,
                            format!(
                                "{} and {} both hold an entry of term {} at #{index} but their logs differ before it",
                                node_name(node),
                                node_name(other),
                                entry.term
                            ),
                        );
                    }
                }
            }
            Note::Committed { index } => {
                let from = self.commits[node];
                self.commits[node] = self.commits[node].max(*index);
                let log = &self.logs[node];
                for i in from + 1..=*index {
                    let Some(entry) = log.get(i as usize - 1) else {
                        flag(
                            LOG_MATCHING,
                            format!("{} committed #{i} beyond its log", node_name(node)),
                        );
                        break;
                    };
                    self.committed.entry(i).or_insert(*entry);
                }
            }
            Note::Applied {
                index,
                entry,
                duplicate,
            } => {
                match self.applied.get(index) {
                    Some(first) if first != entry => flag(
                        STATE_MACHINE_SAFETY,
                        format!(
                            "{} applied {} where {} was applied before",
                            node_name(node),
                            show(*index, entry, servers),
                            show(*index, first, servers)
                        ),
                    ),
                    Some(_) => {}
                    None => {
                        self.applied.insert(*index, *entry);
                    }
                }
                let machine = &mut self.machines[node];
                let seen = machine.contains(&entry.command);
                if *duplicate != seen {
                    let why = if seen {
                        "a second time"
                    } else {
                        "as a duplicate, never having applied it"
                    };
                    flag(
                        LINEARIZABILITY,
                        format!(
                            "{} applied {} {why}",
                            node_name(node),
                            show_command(&entry.command, servers)
                        ),
                    );
                }
                if seen {
                    return;
                }
                machine.push(entry.command);
                let position = machine.len() - 1;
                match self.order.get(position) {
                    None => self.order.push(entry.command),
                    Some(expected) if *expected != entry.command => flag(
                        LINEARIZABILITY,
                        format!(
                            "{} applied {} as command number {}, where another server applied {}",
                            node_name(node),
                            show_command(&entry.command, servers),
                            position + 1,
                            show_command(expected, servers)
                        ),
                    ),
                    Some(_) => {}
                }
            }
            Note::Acknowledged { command } => {
                if !self.machines[node].contains(command) {
                    flag(
                        LINEARIZABILITY,
                        format!(
                            "{} acknowledged {} before applying it",
                            node_name(node),
                            show_command(command, servers)
                        ),
                    );
                }
                self.acknowledged.insert(*command);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(seq: u32) -> Command {
        Command { client: 9, seq }
    }

    fn entry(term: Term, seq: u32) -> Entry {
        Entry {
            term,
            command: command(seq),
        }
    }

    fn appended(index: Index, term: Term, seq: u32) -> Note {
        Note::Appended {
            index,
            entry: entry(term, seq),
        }
    }

    fn applied(index: Index, term: Term, seq: u32, duplicate: bool) -> Note {
        Note::Applied {
            index,
            entry: entry(term, seq),
            duplicate,
        }
    }

    /// The kinds of violation a history of (server, note) raises, on 3 servers.
    fn feed(notes: &[(NodeId, Note)]) -> Vec<String> {
        let mut checker = RaftChecker::new(3);
        let mut violations = Vec::new();
        for (tick, (node, note)) in notes.iter().enumerate() {
            checker.observe(tick as Tick, *node, note, &mut violations);
        }
        violations.into_iter().map(|v| v.kind).collect()
    }

    /// S0 leads term 1, logs commands 0 and 1, replicates them to S1, commits and applies them.
    fn clean() -> Vec<(NodeId, Note)> {
        vec![
            (0, Note::BecameLeader { term: 1 }),
            (0, appended(1, 1, 0)),
            (0, appended(2, 1, 1)),
            (1, appended(1, 1, 0)),
            (1, appended(2, 1, 1)),
            (0, Note::Committed { index: 2 }),
            (0, applied(1, 1, 0, false)),
            (0, applied(2, 1, 1, false)),
            (
                0,
                Note::Acknowledged {
                    command: command(1),
                },
            ),
            (1, Note::Committed { index: 2 }),
            (1, applied(1, 1, 0, false)),
            (1, applied(2, 1, 1, false)),
        ]
    }

    #[test]
    fn a_clean_history_passes_and_a_restart_applies_everything_again() {
        let mut history = clean();
        history.extend([
            (1, Note::Started),
            (1, Note::Committed { index: 2 }),
            (1, applied(1, 1, 0, false)),
            (1, applied(2, 1, 1, false)),
            // S1 leads term 2 holding both committed entries, and logs a retried command again.
            (1, Note::BecameLeader { term: 2 }),
            (1, appended(3, 2, 1)),
            (1, Note::Committed { index: 3 }),
            (1, applied(3, 2, 1, true)),
            // S2 catches up after a conflict on an uncommitted entry.
            (2, appended(1, 1, 0)),
            (2, appended(2, 2, 7)),
            (2, Note::Truncated { len: 1 }),
            (2, appended(2, 1, 1)),
        ]);
        assert!(feed(&history).is_empty(), "{:?}", feed(&history));
    }

    #[test]
    fn two_leaders_in_one_term_break_election_safety() {
        let history = [
            (0, Note::BecameLeader { term: 2 }),
            (1, Note::BecameLeader { term: 2 }),
        ];
        assert_eq!(feed(&history), [ELECTION_SAFETY]);
        // The same server winning its term again (announced twice) is not two leaders.
        let history = [
            (0, Note::BecameLeader { term: 2 }),
            (0, Note::BecameLeader { term: 2 }),
        ];
        assert!(feed(&history).is_empty());
    }

    #[test]
    fn equal_entries_over_different_prefixes_break_log_matching() {
        let history = [
            (0, appended(1, 1, 0)),
            (0, appended(2, 3, 5)),
            (1, appended(1, 2, 3)),
            (1, appended(2, 3, 5)),
        ];
        assert_eq!(feed(&history), [LOG_MATCHING]);
        // Writing past the end of the log is not a log.
        assert_eq!(feed(&[(0, appended(2, 1, 0))]), [LOG_MATCHING]);
    }

    #[test]
    fn a_leader_without_a_committed_entry_breaks_leader_completeness() {
        let mut history = clean();
        history.push((2, Note::BecameLeader { term: 2 }));
        assert_eq!(feed(&history), [LEADER_COMPLETENESS]);
        // Uncommitted entries need not survive.
        let history = [(0, appended(1, 1, 0)), (2, Note::BecameLeader { term: 2 })];
        assert!(feed(&history).is_empty());
    }

    #[test]
    fn different_entries_applied_at_one_index_break_state_machine_safety() {
        let mut history = clean();
        history.extend([
            (2, appended(1, 1, 0)),
            (2, appended(2, 2, 4)),
            (2, Note::Committed { index: 2 }),
            (2, applied(1, 1, 0, false)),
            (2, applied(2, 2, 4, false)),
        ]);
        assert_eq!(feed(&history), [STATE_MACHINE_SAFETY, LINEARIZABILITY]);
    }

    #[test]
    fn a_command_applied_twice_or_acknowledged_early_breaks_linearizability() {
        let twice = [(0, applied(1, 1, 0, false)), (0, applied(2, 2, 0, false))];
        assert_eq!(feed(&twice), [LINEARIZABILITY]);
        let false_duplicate = [(0, applied(1, 1, 0, true))];
        assert_eq!(feed(&false_duplicate), [LINEARIZABILITY]);
        let early = [(
            0,
            Note::Acknowledged {
                command: command(0),
            },
        )];
        assert_eq!(feed(&early), [LINEARIZABILITY]);
        // Two servers whose state machines run the commands in different orders (the log
        // indexes differ, as after a duplicate, so state machine safety alone misses it).
        let orders = [
            (0, applied(1, 1, 0, false)),
            (0, applied(2, 1, 1, false)),
            (1, applied(3, 1, 1, false)),
        ];
        assert_eq!(feed(&orders), [LINEARIZABILITY]);
    }
}
