//! Raft's messages, timers, notes and settings, and the actor that is either a server or a client.
//!
//! Servers are nodes `0..servers`, clients follow. The server follows the Raft paper's Figure 2
//! (`server.rs`); a client submits a few commands one at a time to the server it believes leads
//! (`client.rs`).

use serde::{Deserialize, Serialize};

use super::client::Client;
use super::server::Server;
use crate::sim::{Actor, Cx, NodeId, Tick};

/// A log index: 1 is the first entry, 0 means "before the log".
pub type Index = u64;
pub type Term = u64;

/// A client's command: which client, and its how-manieth command. Unique, so a retried command
/// is recognised as the same one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Command {
    pub client: NodeId,
    pub seq: u32,
}

impl Command {
    /// The client id of the player's commands (submitted from the inspector): no node has it,
    /// so no answer is sent.
    pub const PLAYER: NodeId = NodeId::MAX;

    /// The player's command submitted at tick `now`: one per tick, so a second one submitted in
    /// the same tick is the same command.
    pub fn player(now: Tick) -> Command {
        Command {
            client: Command::PLAYER,
            seq: u32::try_from(now).unwrap_or(u32::MAX),
        }
    }

    pub fn is_player(&self) -> bool {
        self.client == Command::PLAYER
    }
}

/// One log entry: the term of the leader that created it, and the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Entry {
    pub term: Term,
    pub command: Command,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// RequestVote: "vote for me in `term`; my log ends at this index and term".
    RequestVote {
        term: Term,
        last_index: Index,
        last_term: Term,
    },
    /// The answer to a RequestVote.
    Vote { term: Term, granted: bool },
    /// AppendEntries: "after the entry at `prev_index` (of `prev_term`), your log is `entries`;
    /// entries up to `commit` are committed". With no entries it is a heartbeat.
    Append {
        term: Term,
        prev_index: Index,
        prev_term: Term,
        entries: Vec<Entry>,
        commit: Index,
    },
    /// The answer to an AppendEntries: on success the follower's log matches the leader's up to
    /// `last_index`; on failure `last_index` is the follower's log length, where the leader may
    /// resume (a hint that only skips indexes that could not match anyway).
    AppendReply {
        term: Term,
        success: bool,
        last_index: Index,
        /// It answers a heartbeat that matched: routine, so the view draws it light. Left out of
        /// traces (they stay as they were) as it is left out of comparisons.
        #[serde(skip)]
        heartbeat: ViewOnly<bool>,
    },
    /// Client to server: "apply this command".
    Request { command: Command },
    /// Server to client: the command is applied.
    Done { command: Command },
    /// Server to client: "I do not lead; try this server" (if it knows one).
    Redirect {
        command: Command,
        leader: Option<NodeId>,
    },
}

impl Msg {
    /// The label players see on the sprite: `vote?`, `vote`, `append N` (N is the index of the
    /// first entry carried), `heartbeat` (an append with no entries), `ack`, and the client's
    /// `cmd`, `done`, `redirect`.
    pub fn label(&self) -> String {
        match self {
            Msg::RequestVote { .. } => "vote?".into(),
            Msg::Vote { .. } => "vote".into(),
            Msg::Append { entries, .. } if entries.is_empty() => "heartbeat".into(),
            Msg::Append { prev_index, .. } => format!("append {}", prev_index + 1),
            Msg::AppendReply { .. } => "ack".into(),
            Msg::Request { .. } => "cmd".into(),
            Msg::Done { .. } => "done".into(),
            Msg::Redirect { .. } => "redirect".into(),
        }
    }

    /// The term the message carries (client messages carry none).
    pub fn term(&self) -> Option<Term> {
        match self {
            Msg::RequestVote { term, .. }
            | Msg::Vote { term, .. }
            | Msg::Append { term, .. }
            | Msg::AppendReply { term, .. } => Some(*term),
            Msg::Request { .. } | Msg::Done { .. } | Msg::Redirect { .. } => None,
        }
    }

    /// A heartbeat: drawn lighter than the rest.
    pub fn is_heartbeat(&self) -> bool {
        matches!(self, Msg::Append { entries, .. } if entries.is_empty())
    }

    /// The ack of a heartbeat that matched: drawn lighter too.
    pub fn is_heartbeat_ack(&self) -> bool {
        matches!(self, Msg::AppendReply { heartbeat, .. } if heartbeat.0)
    }
}

/// A detail only the view reads (that an ack answers a heartbeat): messages that differ only in
/// it compare and hash equal, so the model checker's states are exactly the protocol's.
#[derive(Clone, Copy, Debug, Default)]
pub struct ViewOnly<T>(pub T);

impl<T> PartialEq for ViewOnly<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for ViewOnly<T> {}

impl<T> PartialOrd for ViewOnly<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for ViewOnly<T> {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl<T> std::hash::Hash for ViewOnly<T> {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Timer {
    /// Follower or candidate: no leader heard from in time; start an election.
    Election,
    /// Leader: time to send every follower an AppendEntries (a heartbeat if nothing is new).
    Heartbeat,
    /// Client: send the current command (a new one if none waits).
    Send,
    /// Client: no answer in time; try the next server.
    Retry,
}

/// What nodes report to the checker and the view. Together, a server's notes retell its log and
/// its state machine exactly, so the checker needs nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Note {
    /// A server started (at time zero or recovering): its volatile state is fresh, its state
    /// machine empty until entries are applied again.
    Started,
    /// A server's election timer ran out: it is a candidate in `term`.
    ElectionStarted { term: Term },
    /// A server voted for `candidate` in `term`.
    Voted { term: Term, candidate: NodeId },
    /// A server won `term`'s election.
    BecameLeader { term: Term },
    /// A server's log was cut to its first `len` entries (a conflict with the leader's).
    Truncated { len: Index },
    /// A server wrote `entry` at `index`, the end of its log.
    Appended { index: Index, entry: Entry },
    /// A server's commit index rose to `index`.
    Committed { index: Index },
    /// A server applied the entry at `index` to its state machine; `duplicate` when the command
    /// was already applied (a retried command logged twice), so the state machine skipped it.
    Applied {
        index: Index,
        entry: Entry,
        duplicate: bool,
    },
    /// A leader told the client its command is applied.
    Acknowledged { command: Command },
    /// A server that does not lead refused the player's command, naming the leader it knows.
    Redirected {
        command: Command,
        leader: Option<NodeId>,
    },
    /// A client has every command acknowledged.
    ClientDone,
}

/// Deliberately broken versions, to teach what each rule is for and to prove the checker works.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    #[default]
    Correct,
    /// A leader commits an entry of an earlier term once a majority holds it (the paper's
    /// Figure 8): a later leader may still overwrite it.
    CommitOldTerm,
    /// `votedFor` is not durable: a server that crashes and recovers may vote twice in one term.
    ForgetVote,
    /// Votes are granted without checking that the candidate's log is at least as up to date.
    NoUpToDateCheck,
}

/// Timing, in ticks (milliseconds). A message hop takes 60–90 ticks by default, so an election
/// or a command's round trip takes a few hundred ticks, as a Paxos ballot does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RaftTiming {
    /// A follower that hears no leader for `election_timeout..2*election_timeout` ticks (drawn
    /// afresh each time) starts an election. Well above a heartbeat plus a hop, so a live leader
    /// is never deposed; widely spread, so one candidate usually starts well before the others.
    pub election_timeout: Tick,
    /// How often a leader sends every follower an AppendEntries.
    pub heartbeat: Tick,
    /// A client resends a command not answered within this many ticks, to the next server.
    pub retry_timeout: Tick,
    /// A client waits up to this long between commands, and after a redirect.
    pub think_time: Tick,
}

impl Default for RaftTiming {
    fn default() -> Self {
        RaftTiming {
            election_timeout: 500,
            heartbeat: 150,
            retry_timeout: 1000,
            think_time: 100,
        }
    }
}

/// The shape of a Raft cluster: servers are nodes `0..servers`, clients follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaftShape {
    /// 3 to 9.
    pub servers: usize,
    /// 1 to 3.
    pub clients: usize,
    /// Commands each client submits.
    pub commands: u32,
}

impl RaftShape {
    pub const SERVERS: std::ops::RangeInclusive<usize> = 3..=9;
    pub const CLIENTS: std::ops::RangeInclusive<usize> = 1..=3;

    pub fn nodes(&self) -> usize {
        self.servers + self.clients
    }
    pub fn is_server(&self, node: NodeId) -> bool {
        node < self.servers
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum RaftNode {
    Server(Server),
    Client(Client),
}

impl RaftNode {
    /// A fresh cluster: every server a follower in term 0 with an empty log.
    pub fn cluster(shape: RaftShape, variant: Variant, timing: RaftTiming) -> Vec<RaftNode> {
        let servers = (0..shape.servers)
            .map(|id| RaftNode::Server(Server::new(id, shape.servers, variant, timing)));
        let clients = (shape.servers..shape.nodes())
            .map(|id| RaftNode::Client(Client::new(id, shape.servers, shape.commands, timing)));
        servers.chain(clients).collect()
    }

    pub fn as_server(&self) -> Option<&Server> {
        match self {
            RaftNode::Server(s) => Some(s),
            RaftNode::Client(_) => None,
        }
    }

    pub fn as_server_mut(&mut self) -> Option<&mut Server> {
        match self {
            RaftNode::Server(s) => Some(s),
            RaftNode::Client(_) => None,
        }
    }

    pub fn as_client(&self) -> Option<&Client> {
        match self {
            RaftNode::Client(c) => Some(c),
            RaftNode::Server(_) => None,
        }
    }
}

impl Actor for RaftNode {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;

    fn on_start(&mut self, cx: &mut Cx<'_, Self>) {
        match self {
            RaftNode::Server(s) => s.on_start(cx),
            RaftNode::Client(c) => c.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: Msg, cx: &mut Cx<'_, Self>) {
        match self {
            RaftNode::Server(s) => s.on_message(from, msg, cx),
            RaftNode::Client(c) => c.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: Timer, cx: &mut Cx<'_, Self>) {
        match self {
            RaftNode::Server(s) => s.on_timer(timer, cx),
            RaftNode::Client(c) => c.on_timer(timer, cx),
        }
    }

    fn on_crash(&mut self) {
        // Clients are never crashed (they are not attackable).
        if let RaftNode::Server(s) = self {
            s.on_crash();
        }
    }

    /// Servers take the player's commands, as a client's.
    fn takes_commands(&self) -> bool {
        matches!(self, RaftNode::Server(_))
    }

    fn on_submit(&mut self, cx: &mut Cx<'_, Self>) {
        if let RaftNode::Server(s) = self {
            s.on_submit(cx);
        }
    }

    fn on_pause(&mut self, paused: bool, cx: &mut Cx<'_, Self>) {
        if let RaftNode::Client(c) = self {
            c.on_pause(paused, cx);
        }
    }

    fn attackable(&self) -> bool {
        matches!(self, RaftNode::Server(_))
    }
}
