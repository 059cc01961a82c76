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
    /// A server acknowledged a set of `value` (applied or not), answering that it holds `holding`.
    SetAcknowledged {
        value: u64,
        applied: bool,
        holding: u64,
    },
    /// A server answered a get with `value`.
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
        // Modulo `servers`, `client - servers` is `client + servers` is `client`.
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
                cx.note(Note::SetAcknowledged {
                    value,
                    applied,
                    holding: self.value,
                });
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
                // Raising to an equal value changes nothing, so `>=` would do the same.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Effect, SimRng};
    use crate::sim::{notes, sent};

    const SHAPE: EcShape = EcShape {
        servers: 2,
        clients: 1,
        requests: 2,
    };

    /// Server 0, server 1 and client 2 (bound to server 0), each with `variant`.
    fn cluster(variant: Variant) -> Vec<EcNode> {
        EcNode::cluster(SHAPE, variant, EcTiming::default())
    }

    /// Runs one handler on `node` and returns what it did.
    fn handle(
        node: &mut EcNode,
        f: impl FnOnce(&mut EcNode, &mut Cx<'_, EcNode>),
    ) -> Vec<Effect<EcNode>> {
        let mut rng = SimRng::new(1, 0);
        let mut effects = Vec::new();
        f(node, &mut Cx::detached(0, 0, &mut rng, &mut effects));
        effects
    }

    fn timers(effects: &[Effect<EcNode>]) -> Vec<Timer> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::SetTimer { timer, .. } => Some(timer.clone()),
                _ => None,
            })
            .collect()
    }

    fn value(node: &EcNode) -> u64 {
        node.as_server().expect("a server").value
    }

    /// What the client sent and noted when `timer` fired.
    fn fire(client: &mut EcNode, timer: Timer) -> Vec<Effect<EcNode>> {
        handle(client, |c, cx| c.on_timer(timer, cx))
    }

    #[test]
    fn a_set_raises_the_value_only_when_larger_and_every_answer_tells_the_truth() {
        let mut server = cluster(Variant::Correct).remove(0);
        let set = |req, value| Msg::Set { req, value };
        let effects = handle(&mut server, |s, cx| s.on_message(2, set(0, 5), cx));
        assert_eq!(value(&server), 5);
        assert_eq!(
            notes(&effects),
            [
                Note::ServerValue { value: 5 },
                Note::SetAcknowledged {
                    value: 5,
                    applied: true,
                    holding: 5
                }
            ]
        );
        let done = |req, applied| Msg::SetDone {
            req,
            applied,
            value: 5,
        };
        assert_eq!(sent(&effects), [(2, done(0, true))]);
        // Not larger (smaller, or equal): ignored, and the answer says so.
        for (req, smaller) in [(1, 3), (2, 5)] {
            let effects = handle(&mut server, |s, cx| s.on_message(2, set(req, smaller), cx));
            assert_eq!(value(&server), 5);
            assert_eq!(server.as_server().unwrap().last_ignored, Some(smaller));
            assert_eq!(sent(&effects), [(2, done(req, false))]);
            assert_eq!(
                notes(&effects),
                [Note::SetAcknowledged {
                    value: smaller,
                    applied: false,
                    holding: 5
                }]
            );
        }
        let effects = handle(&mut server, |s, cx| {
            s.on_message(2, Msg::Get { req: 3 }, cx)
        });
        assert_eq!(sent(&effects), [(2, Msg::Value { req: 3, value: 5 })]);
        assert_eq!(notes(&effects), [Note::GetAnswered { value: 5 }]);
    }

    #[test]
    fn the_broken_server_lets_a_smaller_set_overwrite() {
        let mut server = cluster(Variant::NoMax).remove(0);
        handle(&mut server, |s, cx| {
            s.on_message(2, Msg::Set { req: 0, value: 5 }, cx)
        });
        handle(&mut server, |s, cx| {
            s.on_message(2, Msg::Set { req: 1, value: 3 }, cx)
        });
        assert_eq!(value(&server), 3);
        let effects = handle(&mut server, |s, cx| {
            s.on_message(2, Msg::Set { req: 2, value: 3 }, cx)
        });
        assert!(
            matches!(
                sent(&effects)[..],
                [(2, Msg::SetDone { applied: false, .. })]
            ),
            "the value it holds is no change"
        );
    }

    #[test]
    fn a_sync_only_raises_and_servers_gossip_to_every_peer() {
        let mut nodes = EcNode::cluster(
            EcShape {
                servers: 3,
                clients: 1,
                requests: 1,
            },
            Variant::Correct,
            EcTiming::default(),
        );
        let server = &mut nodes[1];
        handle(server, |s, cx| s.on_message(0, Msg::Sync { value: 8 }, cx));
        let effects = handle(server, |s, cx| s.on_message(2, Msg::Sync { value: 4 }, cx));
        assert_eq!(value(server), 8);
        assert!(effects.is_empty(), "a smaller sync changes nothing");
        let effects = handle(server, |s, cx| s.on_timer(Timer::Sync, cx));
        assert_eq!(
            sent(&effects),
            [(0, Msg::Sync { value: 8 }), (2, Msg::Sync { value: 8 })]
        );
        assert_eq!(timers(&effects), [Timer::Sync], "and again a period later");
    }

    #[test]
    fn a_client_has_one_request_in_flight_and_stops_after_its_total() {
        let mut client = cluster(Variant::Correct).remove(2);
        let started = handle(&mut client, |c, cx| c.on_start(cx));
        assert_eq!(timers(&started), [Timer::NextRequest]);
        let first = sent(&fire(&mut client, Timer::NextRequest));
        assert!(matches!(
            first[..],
            [(0, Msg::Get { req: 0 } | Msg::Set { req: 0, .. })]
        ));
        // A second request timer (none is armed, but a driver may misfire) sends nothing new.
        assert!(sent(&fire(&mut client, Timer::NextRequest)).is_empty());
        // No answer in time: the same request again.
        assert_eq!(sent(&fire(&mut client, Timer::Retry)), first);

        let answer = |req| Msg::Value { req, value: 7 };
        let effects = handle(&mut client, |c, cx| c.on_message(0, answer(0), cx));
        assert_eq!(timers(&effects), [Timer::NextRequest]);
        // The answer to the retry arrives too: it is not an answer to anything else.
        assert!(handle(&mut client, |c, cx| c.on_message(0, answer(0), cx)).is_empty());
        let second = sent(&fire(&mut client, Timer::NextRequest));
        assert!(matches!(
            second[..],
            [(0, Msg::Get { req: 1 } | Msg::Set { req: 1, .. })]
        ));
        // Still late, while the second request waits.
        assert!(handle(&mut client, |c, cx| c.on_message(0, answer(0), cx)).is_empty());
        assert_eq!(client.as_client().unwrap().completed, 1);

        let effects = handle(&mut client, |c, cx| c.on_message(0, answer(1), cx));
        assert_eq!(notes(&effects), [Note::ClientDone]);
        assert!(timers(&effects).is_empty());
        let done = client.as_client().unwrap();
        assert!(done.finished() && done.completed == 2);
        assert!(
            sent(&fire(&mut client, Timer::NextRequest)).is_empty(),
            "done"
        );
        assert!(handle(&mut client, |c, cx| c.on_pause(false, cx)).is_empty());
    }

    #[test]
    fn a_client_with_nothing_to_do_is_done_at_once() {
        let mut client = EcNode::cluster(
            EcShape {
                servers: 1,
                clients: 1,
                requests: 0,
            },
            Variant::Correct,
            EcTiming::default(),
        )
        .remove(1);
        let effects = handle(&mut client, |c, cx| c.on_start(cx));
        assert_eq!(notes(&effects), [Note::ClientDone]);
        assert!(timers(&effects).is_empty());
    }

    #[test]
    fn a_paused_client_sends_nothing_until_resumed() {
        let mut client = cluster(Variant::Correct).remove(2);
        handle(&mut client, |c, cx| c.on_start(cx));
        let effects = handle(&mut client, |c, cx| c.on_pause(true, cx));
        assert!(client.as_client().unwrap().paused);
        assert!(matches!(
            effects[..],
            [Effect::CancelTimer {
                timer: Timer::NextRequest
            }]
        ));
        assert!(sent(&fire(&mut client, Timer::NextRequest)).is_empty());
        let effects = handle(&mut client, |c, cx| c.on_pause(false, cx));
        assert_eq!(timers(&effects), [Timer::NextRequest]);
        assert_eq!(sent(&fire(&mut client, Timer::NextRequest)).len(), 1);
        // Paused with a request on the wire: its answer arrives, but nothing follows it.
        handle(&mut client, |c, cx| c.on_pause(true, cx));
        let effects = handle(&mut client, |c, cx| {
            c.on_message(0, Msg::Value { req: 0, value: 0 }, cx)
        });
        assert!(timers(&effects).is_empty());
        assert_eq!(client.as_client().unwrap().completed, 1);
        // Resumed while a request waits for its answer: no second request.
        handle(&mut client, |c, cx| c.on_pause(false, cx));
        fire(&mut client, Timer::NextRequest);
        assert_eq!(handle(&mut client, |c, cx| c.on_pause(true, cx)).len(), 1);
        let effects = handle(&mut client, |c, cx| c.on_pause(false, cx));
        assert!(effects.is_empty(), "{:?}", timers(&effects));
        // Servers have no clients' pause.
        let mut server = cluster(Variant::Correct).remove(0);
        assert!(handle(&mut server, |s, cx| s.on_pause(true, cx)).is_empty());
    }

    #[test]
    fn clients_are_dealt_round_robin_to_servers() {
        for servers in 2..=7 {
            for clients in 1..=12 {
                let shape = EcShape {
                    servers,
                    clients,
                    requests: 1,
                };
                assert_eq!(shape.nodes(), servers + clients);
                assert!((0..servers).all(|n| shape.is_server(n)));
                assert!((servers..shape.nodes()).all(|n| !shape.is_server(n)));
                let mut load = vec![0; servers];
                for client in servers..shape.nodes() {
                    load[shape.server_of(client)] += 1;
                }
                let (low, high) = (load.iter().min().unwrap(), load.iter().max().unwrap());
                assert!(high - low <= 1, "{servers}x{clients}: {load:?}");
                let nodes = EcNode::cluster(shape, Variant::Correct, EcTiming::default());
                for (id, node) in nodes.iter().enumerate() {
                    match node {
                        EcNode::Server(s) => {
                            assert!(node.attackable());
                            let others: Vec<NodeId> = (0..servers).filter(|p| *p != id).collect();
                            assert_eq!(s.peers, others);
                        }
                        EcNode::Client(c) => {
                            assert!(!node.attackable());
                            assert_eq!(c.server, shape.server_of(id));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn message_labels_are_the_ones_the_cheat_sheet_explains() {
        let rows = crate::protocols::ec_counter::view::CHEAT_SHEET.rows;
        for msg in [
            Msg::Get { req: 1 },
            Msg::Set { req: 1, value: 42 },
            Msg::Value { req: 1, value: 42 },
            Msg::SetDone {
                req: 1,
                applied: true,
                value: 42,
            },
            Msg::Sync { value: 42 },
        ] {
            let label = msg.label().replace("42", "v");
            assert!(
                rows.iter().any(|(key, _)| *key == label),
                "{msg:?}: {label}"
            );
        }
    }
}
