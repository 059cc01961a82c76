//! A Raft server, as the paper's Figure 2 describes it: terms, follower / candidate / leader,
//! RequestVote with the up-to-date check, AppendEntries with the consistency check and conflict
//! truncation, nextIndex / matchIndex, and commitment only over entries of the leader's own term.
//! `term`, `voted_for` and `log` are durable; everything else is lost in a crash.

use std::collections::BTreeSet;

use serde::Serialize;

use super::node::{Command, Entry, Index, Msg, Note, RaftNode, RaftTiming, Term, Timer, Variant};
use crate::sim::{Cx, NodeId, Tick};


#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Role {
    Follower,
    /// Collecting votes for its own term (its own vote included).
    Candidate { votes: BTreeSet<NodeId> },
    /// `next[s]`: the index of the next entry to send server `s`; `matched[s]`: the highest index
    /// known to match on `s` (the leader's own slot is its log length).
    Leader { next: Vec<Index>, matched: Vec<Index> },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Server {
    pub id: NodeId,
    pub servers: usize,
    pub variant: Variant,
    pub timing: RaftTiming,
    // Durable: survives a crash (`voted_for` not in the forget-vote variant).
    pub term: Term,
    pub voted_for: Option<NodeId>,
    /// Entry `i` (1-based) is `log[i - 1]`.
    pub log: Vec<Entry>,
    // Volatile: lost in a crash.
    pub role: Role,
    /// The leader of `term`, once heard from (where clients are redirected).
    pub leader: Option<NodeId>,
    pub commit: Index,
    pub applied: Index,
    /// The state machine: the commands applied, in order, each once.
    pub machine: Vec<Command>,
    /// When the election timer runs out, if armed (for the view's shrinking ring).
    pub election_deadline: Option<Tick>,
}

/// How many servers make a majority of `n`: two majorities always share a server.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

impl Server {
    pub fn new(id: NodeId, servers: usize, variant: Variant, timing: RaftTiming) -> Self {
        Server {
            id,
            servers,
            variant,
            timing,
            term: 0,
            voted_for: None,
            log: Vec::new(),
            role: Role::Follower,
            leader: None,
            commit: 0,
            applied: 0,
            machine: Vec::new(),
            election_deadline: None,
        }
    }

    pub fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader { .. })
    }

    /// "follower", "candidate" or "leader", for the view.
    pub fn role_name(&self) -> &'static str {
        match self.role {
            Role::Follower => "follower",
            Role::Candidate { .. } => "candidate",
            Role::Leader { .. } => "leader",
        }
    }

    pub fn last_index(&self) -> Index {
        self.log.len() as Index
    }

    /// The term of the entry at `index` (0 for index 0), if the log reaches it.
    pub fn term_at(&self, index: Index) -> Option<Term> {
        match index {
            0 => Some(0),
            i => self.log.get(i as usize - 1).map(|e| e.term),
        }
    }

    fn last_term(&self) -> Term {
        self.log.last().map_or(0, |e| e.term)
    }

    fn others(&self) -> impl Iterator<Item = NodeId> + use<> {
        let me = self.id;
        (0..self.servers).filter(move |s| *s != me)
    }

    pub(super) fn on_start(&mut self, cx: &mut Cx<'_, RaftNode>) {
        cx.note(Note::Started);
        // A test may start a server as leader (the paper's Figure 7); a recovered one never is.
        if self.is_leader() {
            self.leader = Some(self.id);
            self.broadcast_append(cx);
        } else {
            self.arm_election_timer(cx);
        }
    }

    pub(super) fn on_crash(&mut self) {
        self.role = Role::Follower;
        self.leader = None;
        self.commit = 0;
        self.applied = 0;
        self.machine.clear();
        self.election_deadline = None;
        if self.variant == Variant::ForgetVote {
            self.voted_for = None;
        }
    }

    pub(super) fn on_timer(&mut self, timer: Timer, cx: &mut Cx<'_, RaftNode>) {
        match timer {
            Timer::Election if !self.is_leader() => self.start_election(cx),
            Timer::Heartbeat if self.is_leader() => self.broadcast_append(cx),
            _ => {}
        }
    }

    pub(super) fn on_message(&mut self, from: NodeId, msg: Msg, cx: &mut Cx<'_, RaftNode>) {
        // Any message from a later term: adopt the term and follow (Figure 2, all servers).
        if let Some(term) = msg.term().filter(|t| *t > self.term) {
            self.term = term;
            self.voted_for = None;
            self.leader = None;
            if self.role != Role::Follower {
                self.role = Role::Follower;
                self.arm_election_timer(cx);
            }
        }
        match msg {
            Msg::RequestVote {
                term,
                last_index,
                last_term,
            } => self.on_request_vote(from, term, last_index, last_term, cx),
            Msg::Vote { term, granted } => self.on_vote(from, term, granted, cx),
            Msg::Append {
                term,
                prev_index,
                prev_term,
                entries,
                commit,
            } => self.on_append(from, term, prev_index, prev_term, &entries, commit, cx),
            Msg::AppendReply {
                term,
                success,
                last_index,
            } => self.on_append_reply(from, term, success, last_index, cx),
            Msg::Request { command } => self.on_request(from, command, cx),
            Msg::Done { .. } | Msg::Redirect { .. } => {}
        }
    }

    fn arm_election_timer(&mut self, cx: &mut Cx<'_, RaftNode>) {
        let base = self.timing.election_timeout;
        let after = cx.rng.between(base, 2 * base - 1);
        self.election_deadline = Some(cx.now.saturating_add(after));
        cx.set_timer(Timer::Election, after);
    }

    fn start_election(&mut self, cx: &mut Cx<'_, RaftNode>) {
        self.term += 1;
        self.voted_for = Some(self.id);
        self.leader = None;
        self.role = Role::Candidate {
            votes: BTreeSet::from([self.id]),
        };
        cx.note(Note::ElectionStarted { term: self.term });
        cx.note(Note::Voted {
            term: self.term,
            candidate: self.id,
        });
        // A new timeout: a split vote is retried by whichever candidate times out first.
        self.arm_election_timer(cx);
        let (last_index, last_term) = (self.last_index(), self.last_term());
        for peer in self.others() {
            cx.send(
                peer,
                Msg::RequestVote {
                    term: self.term,
                    last_index,
                    last_term,
                },
            );
        }
        self.tally_votes(cx);
    }

    fn on_request_vote(
        &mut self,
        from: NodeId,
        term: Term,
        last_index: Index,
        last_term: Term,
        cx: &mut Cx<'_, RaftNode>,
    ) {
        // §5.4.1: the candidate's log must end in a later term, or as long a log in the same one.
        let up_to_date = (last_term, last_index) >= (self.last_term(), self.last_index())
            || self.variant == Variant::NoUpToDateCheck;
        let granted = term == self.term
            && self.voted_for.is_none_or(|v| v == from)
            && up_to_date;
        if granted {
            self.voted_for = Some(from);
            cx.note(Note::Voted {
                term,
                candidate: from,
            });
            // Granting a vote defers our own candidacy (Figure 2, followers).
            self.arm_election_timer(cx);
        }
        cx.send(
            from,
            Msg::Vote {
                term: self.term,
                granted,
            },
        );
    }

    fn on_vote(&mut self, from: NodeId, term: Term, granted: bool, cx: &mut Cx<'_, RaftNode>) {
        if let Role::Candidate { votes } = &mut self.role
            && granted
            && term == self.term
        {
            votes.insert(from);
            self.tally_votes(cx);
        }
    }

    fn tally_votes(&mut self, cx: &mut Cx<'_, RaftNode>) {
        let Role::Candidate { votes } = &self.role else {
            return;
        };
        if votes.len() < majority(self.servers) {
            return;
        }
        let last = self.last_index();
        let mut matched = vec![0; self.servers];
        matched[self.id] = last;
        self.role = Role::Leader {
            next: vec![last + 1; self.servers],
            matched,
        };
        self.leader = Some(self.id);
        self.election_deadline = None;
        cx.cancel_timer(Timer::Election);
        cx.note(Note::BecameLeader { term: self.term });
        self.broadcast_append(cx);
    }

    /// Sends every follower the entries from its `next` index on (a heartbeat if none), and
    /// re-arms the heartbeat.
    fn broadcast_append(&mut self, cx: &mut Cx<'_, RaftNode>) {
        for peer in self.others() {
            self.send_append(peer, cx);
        }
        cx.set_timer(Timer::Heartbeat, self.timing.heartbeat);
    }

    fn send_append(&self, peer: NodeId, cx: &mut Cx<'_, RaftNode>) {
        let Role::Leader { next, .. } = &self.role else {
            return;
        };
        // `next` is at least 1 and at most one past the log, so both slices are in range.
        let prev_index = next[peer] - 1;
        let prev_term = self.term_at(prev_index).unwrap_or(0);
        cx.send(
            peer,
            Msg::Append {
                term: self.term,
                prev_index,
                prev_term,
                entries: self.log[prev_index as usize..].to_vec(),
                commit: self.commit,
            },
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append(
        &mut self,
        from: NodeId,
        term: Term,
        prev_index: Index,
        prev_term: Term,
        entries: &[Entry],
        commit: Index,
        cx: &mut Cx<'_, RaftNode>,
    ) {
        if term < self.term {
            let reply = Msg::AppendReply {
                term: self.term,
                success: false,
                last_index: self.last_index(),
            };
            return cx.send(from, reply);
        }
        // `term` is ours now: its leader is `from`. A candidate of this term lost.
        self.role = Role::Follower;
        self.leader = Some(from);
        self.arm_election_timer(cx);
        if self.term_at(prev_index) != Some(prev_term) {
            let reply = Msg::AppendReply {
                term: self.term,
                success: false,
                last_index: self.last_index().min(prev_index.saturating_sub(1)),
            };
            return cx.send(from, reply);
        }
        for (k, entry) in entries.iter().enumerate() {
            let index = prev_index + 1 + k as Index;
            match self.term_at(index) {
                Some(t) if t == entry.term => continue,
                // A conflict: delete the entry and all that follow it (Figure 2, step 3).
                Some(_) => {
                    self.log.truncate(index as usize - 1);
                    cx.note(Note::Truncated {
                        len: self.last_index(),
                    });
                }
                None => {}
            }
            self.log.push(*entry);
            cx.note(Note::Appended {
                index,
                entry: *entry,
            });
        }
        let last_new = prev_index + entries.len() as Index;
        // Only what this message showed to match the leader's log may be committed here.
        self.commit_to(commit.min(last_new), cx);
        cx.send(
            from,
            Msg::AppendReply {
                term: self.term,
                success: true,
                last_index: last_new,
            },
        );
    }

    fn on_append_reply(
        &mut self,
        from: NodeId,
        term: Term,
        success: bool,
        last_index: Index,
        cx: &mut Cx<'_, RaftNode>,
    ) {
        let log_len = self.last_index();
        let Role::Leader { next, matched } = &mut self.role else {
            return;
        };
        if term != self.term {
            return; // a reply to an earlier term's leader
        }
        if success {
            // Replies may arrive late or twice: never move backwards.
            matched[from] = matched[from].max(last_index);
            next[from] = next[from].max(last_index + 1);
            let behind = next[from] <= log_len;
            self.advance_commit(cx);
            if behind {
                self.send_append(from, cx);
            }
        } else {
            // Step back (Figure 2), straight to the follower's log end when that is earlier.
            next[from] = (next[from] - 1).min(last_index + 1).max(1);
            self.send_append(from, cx);
        }
    }

    /// Commits the highest index a majority holds, if its entry is of this term (§5.4.2): an
    /// earlier term's entry is committed only with it, never by counting its own replicas.
    fn advance_commit(&mut self, cx: &mut Cx<'_, RaftNode>) {
        let Role::Leader { matched, .. } = &self.role else {
            return;
        };
        let mut sorted = matched.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        // The highest index that a majority's matchIndex reaches.
        let held = sorted[majority(self.servers) - 1];
        let own_term = self.term_at(held) == Some(self.term);
        if held > self.commit && (own_term || self.variant == Variant::CommitOldTerm) {
            self.commit_to(held, cx);
        }
    }

    /// Raises the commit index to `index` (never lowers it) and applies what it newly covers.
    fn commit_to(&mut self, index: Index, cx: &mut Cx<'_, RaftNode>) {
        if index <= self.commit {
            return;
        }
        self.commit = index;
        cx.note(Note::Committed { index });
        while self.applied < self.commit {
            self.applied += 1;
            let entry = self.log[self.applied as usize - 1];
            // A retried command may be logged twice; the state machine applies it once.
            let duplicate = self.machine.contains(&entry.command);
            if !duplicate {
                self.machine.push(entry.command);
            }
            cx.note(Note::Applied {
                index: self.applied,
                entry,
                duplicate,
            });
            if self.is_leader() {
                self.acknowledge(entry.command, cx);
            }
        }
    }

    fn acknowledge(&self, command: Command, cx: &mut Cx<'_, RaftNode>) {
        cx.note(Note::Acknowledged { command });
        cx.send(command.client, Msg::Done { command });
    }

    fn on_request(&mut self, from: NodeId, command: Command, cx: &mut Cx<'_, RaftNode>) {
        if !self.is_leader() {
            let leader = self.leader.filter(|l| *l != self.id);
            return cx.send(from, Msg::Redirect { command, leader });
        }
        if self.machine.contains(&command) {
            return self.acknowledge(command, cx); // its answer was lost; it is applied
        }
        // Already logged in this term: it commits with the term; do not log a retry twice. Logged
        // in an earlier term only: log it again, since an old entry commits only behind a new one.
        let term = self.term;
        if self.log[self.commit as usize..]
            .iter()
            .any(|e| e.command == command && e.term == term)
        {
            return;
        }
        self.log.push(Entry { term, command });
        let index = self.last_index();
        cx.note(Note::Appended {
            index,
            entry: Entry { term, command },
        });
        if let Role::Leader { matched, .. } = &mut self.role {
            matched[self.id] = index;
        }
        // Replicate at once rather than at the next heartbeat.
        for peer in self.others() {
            self.send_append(peer, cx);
        }
        self.advance_commit(cx);
    }
}
