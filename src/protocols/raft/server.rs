//! A Raft server, as the paper's Figure 2 describes it: terms, follower / candidate / leader,
//! RequestVote with the up-to-date check, AppendEntries with the consistency check and conflict
//! truncation, nextIndex / matchIndex, and commitment only over entries of the leader's own term.
//! `term`, `voted_for` and `log` are durable; everything else is lost in a crash.

use std::collections::BTreeSet;

use serde::Serialize;

use super::node::{
    Command, Entry, Index, Msg, Note, RaftNode, RaftTiming, Term, Timer, Variant, ViewOnly,
};
use crate::sim::quorum::majority;
use crate::sim::{Cx, NodeId, Tick};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Role {
    Follower,
    /// Collecting votes for its own term (its own vote included).
    Candidate {
        votes: BTreeSet<NodeId>,
    },
    /// `next[s]`: the index of the next entry to send server `s`; `matched[s]`: the highest index
    /// known to match on `s` (the leader's own slot is its log length).
    Leader {
        next: Vec<Index>,
        matched: Vec<Index>,
    },
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
                ..
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
        let granted = term == self.term && self.voted_for.is_none_or(|v| v == from) && up_to_date;
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

    // The fields of AppendEntries, as Figure 2 names them.
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
                heartbeat: ViewOnly(false),
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
                heartbeat: ViewOnly(false),
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
                heartbeat: ViewOnly(entries.is_empty()),
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
            let Some(&entry) = self.log.get(self.applied as usize) else {
                break; // only a broken variant commits beyond its log
            };
            self.applied += 1;
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
        // The player is no node: the note is its answer.
        if !command.is_player() {
            cx.send(command.client, Msg::Done { command });
        }
    }

    /// The leader it would redirect a client to: the leader of its term, once heard from.
    fn known_leader(&self) -> Option<NodeId> {
        self.leader.filter(|l| *l != self.id)
    }

    fn on_request(&mut self, from: NodeId, command: Command, cx: &mut Cx<'_, RaftNode>) {
        if !self.is_leader() {
            let leader = self.known_leader();
            return cx.send(from, Msg::Redirect { command, leader });
        }
        self.log_command(command, cx);
    }

    /// The player submits a command here, as a client would: a leader logs and replicates it;
    /// any other server refuses it, naming the leader it knows, and logs nothing (the player,
    /// unlike a client, does not retry there).
    pub(super) fn on_submit(&mut self, cx: &mut Cx<'_, RaftNode>) {
        let command = Command::player(cx.now);
        if self.is_leader() {
            self.log_command(command, cx);
        } else {
            let leader = self.known_leader();
            cx.note(Note::Redirected { command, leader });
        }
    }

    /// A leader takes a client's command: it appends it to its log (once per term) and sends it
    /// to every follower at once.
    fn log_command(&mut self, command: Command, cx: &mut Cx<'_, RaftNode>) {
        if self.machine.contains(&command) {
            return self.acknowledge(command, cx); // its answer was lost; it is applied
        }
        // Already logged in this term: it commits with the term; do not log a retry twice. Logged
        // in an earlier term only: log it again, since an old entry commits only behind a new one.
        let term = self.term;
        // `skip`, not a slice: a broken variant may truncate a log below its commit index.
        if self
            .log
            .iter()
            .skip(self.commit as usize)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Effect, SimRng};
    use crate::sim::{notes, sent};

    fn server(id: NodeId, variant: Variant) -> Server {
        Server::new(id, 3, variant, RaftTiming::default())
    }

    fn entry(term: Term, seq: u32) -> Entry {
        Entry {
            term,
            command: Command { client: 3, seq },
        }
    }

    /// Runs one handler on `s` at tick 1000 and returns what it did.
    fn handle(
        s: &mut Server,
        f: impl FnOnce(&mut Server, &mut Cx<'_, RaftNode>),
    ) -> Vec<Effect<RaftNode>> {
        let mut rng = SimRng::new(1, 0);
        let mut effects = Vec::new();
        f(s, &mut Cx::detached(s.id, 1_000, &mut rng, &mut effects));
        effects
    }

    fn message(s: &mut Server, from: NodeId, msg: Msg) -> Vec<Effect<RaftNode>> {
        handle(s, |s, cx| s.on_message(from, msg, cx))
    }

    fn ask_vote(term: Term, last_index: Index, last_term: Term) -> Msg {
        Msg::RequestVote {
            term,
            last_index,
            last_term,
        }
    }

    fn append(
        term: Term,
        prev_index: Index,
        prev_term: Term,
        entries: Vec<Entry>,
        commit: Index,
    ) -> Msg {
        Msg::Append {
            term,
            prev_index,
            prev_term,
            entries,
            commit,
        }
    }

    fn reply(term: Term, success: bool, last_index: Index) -> Msg {
        Msg::AppendReply {
            term,
            success,
            last_index,
            heartbeat: ViewOnly(false),
        }
    }

    #[test]
    fn a_follower_that_times_out_stands_in_the_next_term_with_its_own_vote() {
        let mut s = server(0, Variant::Correct);
        s.log = vec![entry(1, 0)];
        s.term = 1;
        let effects = handle(&mut s, |s, cx| s.on_timer(Timer::Election, cx));
        assert_eq!(
            (s.term, s.voted_for, s.role_name()),
            (2, Some(0), "candidate")
        );
        let ask = ask_vote(2, 1, 1);
        assert_eq!(sent(&effects), [(1, ask.clone()), (2, ask)]);
        let deadline = s.election_deadline.unwrap();
        assert!(
            (1_500..2_000).contains(&deadline),
            "{deadline}: a fresh random timeout"
        );
        assert_eq!(
            notes(&effects),
            [
                Note::ElectionStarted { term: 2 },
                Note::Voted {
                    term: 2,
                    candidate: 0
                }
            ]
        );
    }

    #[test]
    fn a_vote_goes_once_per_term_and_only_to_a_log_at_least_as_up_to_date() {
        let mut s = server(0, Variant::Correct);
        s.term = 2;
        s.log = vec![entry(1, 0), entry(2, 1)];
        let granted = |effects: &[Effect<RaftNode>], term| {
            let got = sent(effects);
            assert_eq!(got.len(), 1);
            match got[0].1 {
                Msg::Vote { term: t, granted } => {
                    assert_eq!(t, term);
                    granted
                }
                ref other => panic!("{other:?}"),
            }
        };
        // A stale term is refused, and our term answered.
        assert!(!granted(&message(&mut s, 1, ask_vote(1, 5, 1)), 2));
        // A longer log ending in an earlier term is less up to date; the term is adopted anyway.
        assert!(!granted(&message(&mut s, 1, ask_vote(3, 5, 1)), 3));
        assert_eq!((s.term, s.voted_for), (3, None));
        // A shorter log is less up to date too.
        assert!(!granted(&message(&mut s, 1, ask_vote(3, 1, 2)), 3));
        // As long, same term: granted; asked again (a retry), granted again; another: refused.
        assert!(granted(&message(&mut s, 1, ask_vote(3, 2, 2)), 3));
        assert!(granted(&message(&mut s, 1, ask_vote(3, 2, 2)), 3));
        assert!(!granted(&message(&mut s, 2, ask_vote(3, 9, 3)), 3));
        assert_eq!(s.voted_for, Some(1));

        let mut broken = server(0, Variant::NoUpToDateCheck);
        broken.log = vec![entry(1, 0), entry(2, 1)];
        assert!(
            granted(&message(&mut broken, 1, ask_vote(3, 0, 0)), 3),
            "an empty log wins"
        );
    }

    #[test]
    fn a_candidate_with_a_majority_leads_and_sends_heartbeats_at_once() {
        let mut s = server(1, Variant::Correct);
        s.log = vec![entry(1, 0)];
        handle(&mut s, |s, cx| s.on_timer(Timer::Election, cx));
        // A refusal, and a vote from an earlier term, count for nothing.
        message(
            &mut s,
            0,
            Msg::Vote {
                term: 1,
                granted: false,
            },
        );
        assert_eq!(s.role_name(), "candidate");
        let effects = message(
            &mut s,
            2,
            Msg::Vote {
                term: 1,
                granted: true,
            },
        );
        assert!(s.is_leader() && s.leader == Some(1) && s.election_deadline.is_none());
        assert_eq!(notes(&effects), [Note::BecameLeader { term: 1 }]);
        let beat = append(1, 1, 1, vec![], 0);
        assert_eq!(sent(&effects), [(0, beat.clone()), (2, beat)]);
        assert!(effects.iter().any(|e| matches!(
            e,
            Effect::SetTimer {
                timer: Timer::Heartbeat,
                ..
            }
        )));
        assert_eq!(sent(&effects)[0].1.label(), "heartbeat");
    }

    #[test]
    fn append_entries_checks_the_previous_entry_and_truncates_only_on_a_conflict() {
        let mut s = server(2, Variant::Correct);
        s.term = 3;
        s.log = vec![entry(1, 0), entry(1, 1), entry(2, 2)];
        // A stale leader is refused and changes nothing.
        let effects = message(&mut s, 0, append(2, 3, 2, vec![entry(2, 3)], 3));
        assert_eq!(sent(&effects), [(0, reply(3, false, 3))]);
        assert_eq!((s.log.len(), s.leader), (3, None));
        // No entry 4 to match: refused, hinting where the log ends.
        let effects = message(&mut s, 0, append(3, 4, 3, vec![], 0));
        assert_eq!(sent(&effects), [(0, reply(3, false, 3))]);
        assert_eq!(s.leader, Some(0), "but the leader is known");
        // Entry 2 matches; entry 3 conflicts and goes, with all after it.
        let effects = message(&mut s, 0, append(3, 2, 1, vec![entry(3, 9)], 1));
        assert_eq!(s.log, [entry(1, 0), entry(1, 1), entry(3, 9)]);
        assert_eq!(
            notes(&effects)[..2],
            [
                Note::Truncated { len: 2 },
                Note::Appended {
                    index: 3,
                    entry: entry(3, 9)
                }
            ]
        );
        assert_eq!(sent(&effects), [(0, reply(3, true, 3))]);
        assert_eq!((s.commit, s.applied, s.machine.len()), (1, 1, 1));
        // A late copy of an earlier append truncates nothing it already holds.
        let effects = message(&mut s, 0, append(3, 1, 1, vec![entry(1, 1)], 1));
        assert_eq!(s.log.len(), 3);
        assert_eq!(sent(&effects), [(0, reply(3, true, 2))]);
        // The leader's commit is taken only as far as this message showed the logs to match.
        message(&mut s, 0, append(3, 1, 1, vec![], 3));
        assert_eq!(s.commit, 1);
        message(&mut s, 0, append(3, 3, 3, vec![], 3));
        assert_eq!((s.commit, s.applied), (3, 3));
    }

    /// Server 0 leading term 3 of 3 servers, with an entry of term 2 it inherited.
    fn leader(variant: Variant) -> Server {
        let mut s = server(0, variant);
        s.term = 3;
        s.log = vec![entry(1, 0), entry(2, 1)];
        s.role = Role::Leader {
            next: vec![3; 3],
            matched: vec![2, 0, 0],
        };
        s
    }

    #[test]
    fn a_leader_commits_an_earlier_terms_entry_only_behind_one_of_its_own() {
        let mut s = leader(Variant::Correct);
        message(&mut s, 1, reply(3, true, 2));
        assert_eq!(
            s.commit, 0,
            "entry 2 is on a majority but of term 2 (Figure 8)"
        );
        let effects = message(
            &mut s,
            3,
            Msg::Request {
                command: Command { client: 3, seq: 7 },
            },
        );
        assert_eq!(s.log.len(), 3);
        assert_eq!(
            sent(&effects)[0],
            (1, append(3, 2, 2, vec![entry(3, 7)], 0))
        );
        assert_eq!(sent(&effects)[0].1.label(), "append 3");
        let effects = message(&mut s, 1, reply(3, true, 3));
        assert_eq!(s.commit, 3, "with entry 3 of term 3, all before it");
        assert_eq!(
            sent(&effects),
            [
                (
                    3,
                    Msg::Done {
                        command: Command { client: 3, seq: 0 }
                    }
                ),
                (
                    3,
                    Msg::Done {
                        command: Command { client: 3, seq: 1 }
                    }
                ),
                (
                    3,
                    Msg::Done {
                        command: Command { client: 3, seq: 7 }
                    }
                )
            ]
        );

        let mut broken = leader(Variant::CommitOldTerm);
        message(&mut broken, 1, reply(3, true, 2));
        assert_eq!(
            broken.commit, 2,
            "the broken leader counts replicas of an old entry"
        );
    }

    #[test]
    fn a_leader_steps_back_on_a_refusal_and_never_backwards_on_a_late_success() {
        let mut s = leader(Variant::Correct);
        let effects = message(&mut s, 2, reply(3, false, 0));
        assert_eq!(
            sent(&effects),
            [(2, append(3, 0, 0, vec![entry(1, 0), entry(2, 1)], 0))]
        );
        message(&mut s, 2, reply(3, true, 2));
        message(&mut s, 2, reply(3, true, 1));
        let Role::Leader { next, matched } = &s.role else {
            panic!()
        };
        assert_eq!((next[2], matched[2]), (3, 2));
        // A reply from a later term deposes it.
        message(&mut s, 2, reply(4, false, 0));
        assert_eq!((s.term, s.role_name(), s.voted_for), (4, "follower", None));
    }

    #[test]
    fn a_leader_logs_a_retry_once_and_answers_an_applied_command_again_and_a_follower_redirects() {
        let mut s = leader(Variant::Correct);
        let command = Command { client: 3, seq: 7 };
        message(&mut s, 3, Msg::Request { command });
        let effects = message(&mut s, 3, Msg::Request { command });
        assert!(
            sent(&effects).is_empty() && s.log.len() == 3,
            "already logged in this term"
        );
        message(&mut s, 1, reply(3, true, 3));
        let effects = message(&mut s, 3, Msg::Request { command });
        assert_eq!(sent(&effects), [(3, Msg::Done { command })]);
        let mut follower = server(1, Variant::Correct);
        follower.leader = Some(0);
        let effects = message(&mut follower, 3, Msg::Request { command });
        assert_eq!(
            sent(&effects),
            [(
                3,
                Msg::Redirect {
                    command,
                    leader: Some(0)
                }
            )]
        );
    }

    #[test]
    fn the_players_command_is_logged_by_a_leader_answered_by_a_note_and_refused_elsewhere() {
        let mut s = leader(Variant::Correct);
        let effects = handle(&mut s, |s, cx| s.on_submit(cx));
        let command = Command::player(1_000);
        assert_eq!(s.log.last(), Some(&Entry { term: 3, command }));
        assert_eq!(sent(&effects).len(), 2, "sent to both followers at once");
        // Committed once a follower holds it: acknowledged by a note, as no node is the player.
        let effects = message(&mut s, 1, reply(3, true, 3));
        assert_eq!(s.commit, 3);
        assert!(notes(&effects).contains(&Note::Acknowledged { command }));
        assert!(
            sent(&effects).iter().all(|(to, _)| *to != Command::PLAYER),
            "nothing to the player"
        );
        let mut follower = server(1, Variant::Correct);
        follower.leader = Some(0);
        let effects = handle(&mut follower, |s, cx| s.on_submit(cx));
        assert!(follower.log.is_empty() && sent(&effects).is_empty());
        assert_eq!(
            notes(&effects),
            [Note::Redirected {
                command,
                leader: Some(0)
            }]
        );
    }

    #[test]
    fn a_broken_leader_whose_log_was_cut_below_its_commit_index_does_not_panic() {
        // no-up-to-date-check lets a leader truncate a follower's committed entries; that
        // follower may then lead with a commit index past its log's end.
        let mut s = leader(Variant::NoUpToDateCheck);
        s.commit = 5;
        s.applied = 5;
        let command = Command { client: 3, seq: 7 };
        message(&mut s, 3, Msg::Request { command });
        assert_eq!(s.log.len(), 3);
        let mut follower = server(1, Variant::NoUpToDateCheck);
        follower.commit = 4;
        message(&mut follower, 0, append(1, 0, 0, vec![entry(1, 0)], 9));
        assert_eq!((follower.log.len(), follower.commit), (1, 4));
    }

    #[test]
    fn a_crash_keeps_term_vote_and_log_unless_the_vote_is_forgotten() {
        for variant in [Variant::Correct, Variant::ForgetVote] {
            let mut s = leader(variant);
            s.voted_for = Some(0);
            s.commit = 1;
            s.machine = vec![entry(1, 0).command];
            s.on_crash();
            assert_eq!((s.term, s.log.len()), (3, 2));
            assert_eq!(
                (s.role_name(), s.commit, s.applied, s.machine.len()),
                ("follower", 0, 0, 0)
            );
            let vote = if variant == Variant::ForgetVote {
                None
            } else {
                Some(0)
            };
            assert_eq!(s.voted_for, vote);
        }
    }

    #[test]
    fn message_labels_are_the_ones_players_see() {
        let labels: Vec<String> = [
            ask_vote(1, 0, 0),
            Msg::Vote {
                term: 1,
                granted: true,
            },
            append(1, 0, 0, vec![], 0),
            append(1, 1, 1, vec![entry(1, 1)], 0),
            reply(1, true, 2),
        ]
        .iter()
        .map(Msg::label)
        .collect();
        assert_eq!(labels, ["vote?", "vote", "heartbeat", "append 2", "ack"]);
    }

    #[test]
    fn a_majority_is_the_smallest_count_above_half() {
        for n in 1..=9 {
            let m = majority(n);
            assert!(2 * m > n && 2 * (m - 1) <= n, "{m} of {n}");
        }
    }
}
