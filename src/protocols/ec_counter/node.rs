//! ec-counter: an eventually consistent counter.
//!
//! Servers each hold an integer. A `set` is applied only if its value is larger than the server's
//! (max wins); a `get` returns the current value. Every `sync_period` ticks each server sends its
//! value to every peer, which keeps the larger of the two. Clients are bound to one server each,
//! never talk to each other, and issue a fixed number of random gets and sets one at a time,
//! retrying on a timeout. Without new sets, all servers converge to the largest value any held.

use serde::{Deserialize, Serialize};

use crate::sim::{Actor, Cx, NodeId, Tick};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    Get {
        req: u32,
    },
    Set {
        req: u32,
        value: u64,
    },
    /// Answer to a get: the server's value.
    Value {
        req: u32,
        value: u64,
    },
    /// Answer to a set: whether it raised the server's value, and the value now.
    SetDone {
        req: u32,
        applied: bool,
        value: u64,
    },
    /// Periodic server-to-server gossip of the current value.
    Sync {
        value: u64,
    },
}

impl Msg {
    /// The label players see on the sprite.
    pub fn label(&self) -> String {
        match self {
            Msg::Get { .. } => "get".into(),
            Msg::Set { value, .. } => format!("set({value})"),
            Msg::Value { value, .. } | Msg::SetDone { value, .. } => format!("reply({value})"),
            Msg::Sync { value } => format!("sync({value})"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Timer {
    /// Server: time to gossip.
    Sync,
    /// Client: pause between requests is over.
    NextRequest,
    /// Client: no answer in time; send the request again.
    Retry,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Note {
    /// A server's value changed (to this).
    ServerValue { value: u64 },
    /// A server acknowledged a set of `value` (applied or not).
    SetAcknowledged { value: u64, applied: bool },
    /// A server answered a get.
    GetAnswered { value: u64 },
    /// A client finished all its requests.
    ClientDone,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    #[default]
    Correct,
    /// A set overwrites the server's value even when it is smaller.
    NoMax,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EcTiming {
    pub sync_period: Tick,
    /// A client resends a request not answered within this many ticks.
    pub retry_timeout: Tick,
    /// A client waits up to this long between requests.
    pub think_time: Tick,
}

impl Default for EcTiming {
    fn default() -> Self {
        EcTiming {
            sync_period: 100,
            retry_timeout: 300,
            think_time: 40,
        }
    }
}

/// The shape of an ec-counter cluster: servers are nodes `0..servers`, clients follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcShape {
    pub servers: usize,
    pub clients: usize,
    pub requests: u32,
}

impl EcShape {
    /// The server client `client` (a node id) is bound to: round-robin over servers.
    pub fn server_of(&self, client: NodeId) -> NodeId {
        (client - self.servers) % self.servers
    }
    pub fn is_server(&self, node: NodeId) -> bool {
        node < self.servers
    }
    pub fn nodes(&self) -> usize {
        self.servers + self.clients
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Op {
    Get,
    Set(u64),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Server {
    pub id: NodeId,
    pub peers: Vec<NodeId>,
    pub variant: Variant,
    pub timing: EcTiming,
    /// Durable.
    pub value: u64,
    /// The last set this server ignored because it was not larger (for the view).
    pub last_ignored: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Client {
    pub id: NodeId,
    pub server: NodeId,
    pub timing: EcTiming,
    pub total: u32,
    pub completed: u32,
    /// The request on the wire, if any, with its number.
    pub outstanding: Option<(u32, Op)>,
    pub paused: bool,
    /// The last finished request and the value the server answered.
    pub last: Option<(Op, u64)>,
    next_req: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum EcNode {
    Server(Server),
    Client(Client),
}

impl EcNode {
    pub fn cluster(shape: EcShape, variant: Variant, timing: EcTiming) -> Vec<EcNode> {
        let servers = (0..shape.servers).map(|id| {
            let peers = (0..shape.servers).filter(|p| *p != id).collect();
            EcNode::Server(Server {
                id,
                peers,
                variant,
                timing,
                value: 0,
                last_ignored: None,
            })
        });
        let clients = (shape.servers..shape.nodes()).map(|id| {
            EcNode::Client(Client {
                id,
                server: shape.server_of(id),
                timing,
                total: shape.requests,
                completed: 0,
                outstanding: None,
                paused: false,
                last: None,
                next_req: 0,
            })
        });
        servers.chain(clients).collect()
    }

    pub fn as_server(&self) -> Option<&Server> {
        match self {
            EcNode::Server(s) => Some(s),
            EcNode::Client(_) => None,
        }
    }

    pub fn as_client(&self) -> Option<&Client> {
        match self {
            EcNode::Client(c) => Some(c),
            EcNode::Server(_) => None,
        }
    }
}

impl Server {
    fn raise_to(&mut self, value: u64, cx: &mut Cx<'_, EcNode>) {
        if self.value != value {
            self.value = value;
            cx.note(Note::ServerValue { value });
        }
    }

    fn on_message(&mut self, from: NodeId, msg: Msg, cx: &mut Cx<'_, EcNode>) {
        match msg {
            Msg::Get { req } => {
                cx.note(Note::GetAnswered { value: self.value });
                cx.send(
                    from,
                    Msg::Value {
                        req,
                        value: self.value,
                    },
                );
            }
            Msg::Set { req, value } => {
                let applied = match self.variant {
                    Variant::Correct => value > self.value,
                    Variant::NoMax => value != self.value,
                };
                if applied {
                    self.raise_to(value, cx);
                    self.last_ignored = None;
                } else {
                    self.last_ignored = Some(value);
                }
                cx.note(Note::SetAcknowledged { value, applied });
                cx.send(
                    from,
                    Msg::SetDone {
                        req,
                        applied,
                        value: self.value,
                    },
                );
            }
            Msg::Sync { value } => {
                if value > self.value {
                    self.raise_to(value, cx);
                }
            }
            Msg::Value { .. } | Msg::SetDone { .. } => {}
        }
    }
}

impl Client {
    pub fn finished(&self) -> bool {
        self.completed == self.total
    }

    fn pause_then_next(&self, cx: &mut Cx<'_, EcNode>) {
        let pause = cx.rng.between(1, self.timing.think_time.max(1));
        cx.set_timer(Timer::NextRequest, pause);
    }

    fn send_next(&mut self, cx: &mut Cx<'_, EcNode>) {
        if self.paused || self.outstanding.is_some() || self.finished() {
            return;
        }
        let op = if cx.rng.chance(500) {
            Op::Get
        } else {
            Op::Set(cx.rng.below(1000))
        };
        let req = self.next_req;
        self.next_req += 1;
        self.outstanding = Some((req, op));
        self.transmit(cx);
    }

    fn transmit(&self, cx: &mut Cx<'_, EcNode>) {
        if let Some((req, op)) = &self.outstanding {
            let msg = match op {
                Op::Get => Msg::Get { req: *req },
                Op::Set(value) => Msg::Set {
                    req: *req,
                    value: *value,
                },
            };
            cx.send(self.server, msg);
            cx.set_timer(Timer::Retry, self.timing.retry_timeout);
        }
    }

    fn on_reply(&mut self, req: u32, value: u64, cx: &mut Cx<'_, EcNode>) {
        let Some((pending, op)) = self.outstanding.take_if(|(pending, _)| *pending == req) else {
            return; // an answer to a request we already retried and got answered
        };
        debug_assert_eq!(pending, req);
        cx.cancel_timer(Timer::Retry);
        self.completed += 1;
        self.last = Some((op, value));
        if self.finished() {
            cx.note(Note::ClientDone);
        } else if !self.paused {
            self.pause_then_next(cx);
        }
    }
}

impl Actor for EcNode {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;

    fn on_start(&mut self, cx: &mut Cx<'_, Self>) {
        match self {
            EcNode::Server(s) => cx.set_timer(Timer::Sync, s.timing.sync_period),
            EcNode::Client(c) => {
                if c.total == 0 {
                    cx.note(Note::ClientDone);
                } else {
                    c.pause_then_next(cx);
                }
            }
        }
    }

    fn on_message(&mut self, from: NodeId, msg: Msg, cx: &mut Cx<'_, Self>) {
        match (self, msg) {
            (EcNode::Server(s), msg) => s.on_message(from, msg, cx),
            (EcNode::Client(c), Msg::Value { req, value } | Msg::SetDone { req, value, .. }) => {
                c.on_reply(req, value, cx)
            }
            (EcNode::Client(_), _) => {}
        }
    }

    fn on_timer(&mut self, timer: Timer, cx: &mut Cx<'_, Self>) {
        match (self, timer) {
            (EcNode::Server(s), Timer::Sync) => {
                for &peer in &s.peers {
                    cx.send(peer, Msg::Sync { value: s.value });
                }
                cx.set_timer(Timer::Sync, s.timing.sync_period);
            }
            (EcNode::Client(c), Timer::NextRequest) => c.send_next(cx),
            (EcNode::Client(c), Timer::Retry) => c.transmit(cx),
            _ => {}
        }
    }

    fn on_crash(&mut self) {
        // A server's value is durable; clients are never crashed.
    }

    fn on_pause(&mut self, paused: bool, cx: &mut Cx<'_, Self>) {
        if let EcNode::Client(c) = self {
            c.paused = paused;
            if paused {
                cx.cancel_timer(Timer::NextRequest);
            } else if c.outstanding.is_none() && !c.finished() {
                c.pause_then_next(cx);
            }
        }
    }

    fn attackable(&self) -> bool {
        matches!(self, EcNode::Server(_))
    }
}
