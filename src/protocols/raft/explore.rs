//! Exhaustive checking of Raft: terms bounded by `--max-round`, logs by [`LOG_BOUND`], messages
//! in words.

use std::hash::{Hash, Hasher};

use super::checker::situation;
use super::node::{Msg, Note, RaftNode, Timer};
use super::server::{Role, Server};
use super::{Raft, RaftChecker};
use crate::explore::{CheckOptions, Explorable, StepEvent, StepKind};
use crate::protocol::Setup;
use crate::sim::NodeId;
use crate::view::colour_name;

/// No explored log holds more entries than this: with the term bound, it makes the space finite
/// (a retried command is logged once per term at most, so a few terms could otherwise grow logs).
pub const LOG_BOUND: usize = 2;

const ELECTED: &str = "a leader is elected";
const OVERWRITTEN: &str = "an uncommitted entry is overwritten";
const VOTED_AFTER_CRASH: &str = "a server votes again in a term after crashing";
const TWO_LEADERS: &str = "leaders of two terms are alive at once";

impl Explorable for Raft {
    const PROGRESS: &'static str = "a command is committed and acknowledged";
    const ROUNDS: bool = true;
    fn round_bound_words(max_round: u64) -> String {
        format!("terms up to {max_round}, logs of at most {LOG_BOUND} entries")
    }
    const MILESTONES: &'static [&'static str] =
        &[ELECTED, OVERWRITTEN, VOTED_AFTER_CRASH, TWO_LEADERS];

    fn milestones(step: &StepEvent<'_, RaftNode, RaftChecker>, marks: &mut u64) -> u64 {
        let mut reached = 0;
        if step
            .notes
            .iter()
            .any(|n| matches!(n, Note::BecameLeader { .. }))
        {
            reached |= 1 << 0;
        }
        if step.checker.situations.contains(situation::OVERWRITTEN) {
            reached |= 1 << 1;
        }
        if step.checker.situations.contains(situation::TWO_LEADERS) {
            reached |= 1 << 3;
        }
        // Marks: bit 8 + n, server n crashed having voted in its current term.
        let crashed_voter = 1u64 << (8 + step.node.min(55));
        let voted = |node: &RaftNode| node.as_server().and_then(|s| s.voted_for);
        match step.kind {
            StepKind::Crash if voted(step.before).is_some() => *marks |= crashed_voter,
            _ if *marks & crashed_voter != 0
                && step.notes.iter().any(|n| matches!(n, Note::Voted { .. })) =>
            {
                reached |= 1 << 2;
            }
            _ => {}
        }
        reached
    }

    /// Three servers, one client with one command: an election, a replication, a commit, and
    /// the crashes and elections around them.
    fn small_setup() -> &'static [(&'static str, u64)] {
        &[("servers", 3), ("clients", 1), ("requests", 1)]
    }

    /// Leaders send heartbeats forever, so a path bound keeps an unordered network's messages
    /// finite; 12 steps hold an election, a command's round trip and a crash around them.
    fn default_max_depth() -> Option<usize> {
        Some(12)
    }

    /// No server reaches a term above `max_round`, and no log grows beyond [`LOG_BOUND`].
    fn within_bounds(node: &RaftNode, options: &CheckOptions) -> bool {
        node.as_server()
            .is_none_or(|s| s.term <= options.max_round && s.log.len() <= LOG_BOUND)
    }

    /// No more than `max_ballots` elections started in all (with `--max-round`, `--max-ballots`
    /// equal to it allows one candidate a term, which is what the paper's Figure 8 needs).
    fn history_within_bounds(checker: &RaftChecker, options: &CheckOptions) -> bool {
        options
            .max_ballots
            .is_none_or(|max| checker.elections <= max)
    }

    /// Everything but the timing and the election deadline, which only say when timers fire
    /// (the search fires any armed timer at any moment).
    fn hash_for_search<H: Hasher>(node: &RaftNode, state: &mut H) {
        match node {
            RaftNode::Server(server) => {
                let Server {
                    id,
                    servers,
                    variant,
                    timing: _,
                    term,
                    voted_for,
                    log,
                    role,
                    leader,
                    commit,
                    applied,
                    machine,
                    election_deadline: _,
                } = server;
                (0u8, id, servers, variant, term, voted_for).hash(state);
                (log, role, leader, commit, applied, machine).hash(state);
            }
            RaftNode::Client(client) => {
                let mut client = client.clone();
                client.timing = Default::default();
                (1u8, client).hash(state);
            }
        }
    }

    /// A message its receiver can never act on again (`docs/checking.md#raft` argues each rule
    /// from the handlers; the search also tries every dropped message again whenever its
    /// receiver changes). Terms never go down (they are durable), and a server is a candidate
    /// or a leader of a term only until it leaves it: it never becomes one of a term it has
    /// followed in. So, to a server:
    /// - a `Vote` of an earlier term, or of its own term unless it is still a candidate of that
    ///   term waiting for this granted vote;
    /// - an `AppendReply` of an earlier term, or of its own term once it follows in it (a
    ///   candidate may yet lead the term and read it);
    /// - a `Done` or `Redirect`, which servers ignore.
    ///
    /// To a client, any answer about a command it has had acknowledged (`seq` below `completed`,
    /// which only grows), and any server-to-server message. `RequestVote`, `Append` and
    /// `Request` are always answered, so never dead; nor is a message of a later term (it is
    /// adopted).
    fn dead_message(node: &RaftNode, from: NodeId, msg: &Msg) -> bool {
        match node {
            RaftNode::Server(server) => {
                if msg.term().is_some_and(|t| t > server.term) {
                    return false;
                }
                match msg {
                    Msg::Vote { term, granted } => {
                        *term < server.term
                            || !*granted
                            || !matches!(&server.role, Role::Candidate { votes }
                                if !votes.contains(&from))
                    }
                    Msg::AppendReply { term, .. } => {
                        *term < server.term || server.role == Role::Follower
                    }
                    Msg::Done { .. } | Msg::Redirect { .. } => true,
                    Msg::RequestVote { .. } | Msg::Append { .. } | Msg::Request { .. } => false,
                }
            }
            RaftNode::Client(client) => match msg {
                Msg::Done { command } | Msg::Redirect { command, .. } => {
                    command.client != client.id || command.seq < client.completed
                }
                _ => true,
            },
        }
    }

    fn progress(checker: &RaftChecker) -> bool {
        !checker.acknowledged.is_empty()
    }

    fn describe_message(_setup: &Setup, msg: &Msg) -> String {
        match msg {
            Msg::RequestVote {
                term,
                last_index,
                last_term,
            } => format!("RequestVote(term {term}, log ends #{last_index} of term {last_term})"),
            Msg::Vote { term, granted } => {
                let granted = if *granted { "granted" } else { "refused" };
                format!("Vote(term {term}, {granted})")
            }
            Msg::Append {
                term,
                prev_index,
                prev_term,
                entries,
                commit,
            } => {
                let terms: Vec<String> = entries.iter().map(|e| e.term.to_string()).collect();
                format!(
                    "Append(term {term}, after #{prev_index} of term {prev_term}, entries of \
                     terms [{}], commit {commit})",
                    terms.join(", ")
                )
            }
            Msg::AppendReply {
                term,
                success,
                last_index,
                ..
            } => {
                let success = if *success { "matched" } else { "refused" };
                format!("AppendReply(term {term}, {success} to #{last_index})")
            }
            Msg::Request { command } => format!("Request(command {})", command.seq + 1),
            Msg::Done { command } => format!("Done(command {})", command.seq + 1),
            Msg::Redirect { leader, .. } => match leader {
                Some(l) => format!("Redirect(to {})", colour_name(*l)),
                None => "Redirect(leader unknown)".into(),
            },
        }
    }

    fn describe_timer(timer: &Timer) -> String {
        match timer {
            Timer::Election => "election timer",
            Timer::Heartbeat => "heartbeat timer",
            Timer::Send => "send timer",
            Timer::Retry => "retry timer",
        }
        .into()
    }
}
