//! A Raft client: submits its commands one at a time to the server it believes leads, follows
//! redirects, tries the next server when an answer is late, and is done when every command is
//! acknowledged.

use serde::Serialize;

use super::node::{Command, Msg, Note, RaftNode, RaftTiming, Timer};
use crate::sim::{Cx, NodeId};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Client {
    pub id: NodeId,
    pub servers: usize,
    pub timing: RaftTiming,
    pub total: u32,
    pub completed: u32,
    /// The server it believes leads: where the next send goes.
    pub target: NodeId,
    /// The command waiting for its acknowledgement, if any.
    pub outstanding: Option<Command>,
    pub paused: bool,
}

impl Client {
    pub fn new(id: NodeId, servers: usize, total: u32, timing: RaftTiming) -> Self {
        Client {
            id,
            servers,
            timing,
            total,
            completed: 0,
            // Clients start spread over the servers; any may turn out to lead.
            target: id % servers,
            outstanding: None,
            paused: false,
        }
    }

    pub fn finished(&self) -> bool {
        self.completed == self.total
    }

    pub(super) fn on_start(&mut self, cx: &mut Cx<'_, RaftNode>) {
        if self.finished() {
            cx.note(Note::ClientDone);
        } else {
            self.pause_then_send(cx);
        }
    }

    fn pause_then_send(&self, cx: &mut Cx<'_, RaftNode>) {
        let pause = cx.rng.between(1, self.timing.think_time.max(1));
        cx.set_timer(Timer::Send, pause);
    }

    pub(super) fn on_timer(&mut self, timer: Timer, cx: &mut Cx<'_, RaftNode>) {
        match timer {
            Timer::Send => self.send(cx),
            Timer::Retry => {
                // No answer: the target may be down or cut off; try the next server.
                self.target = (self.target + 1) % self.servers;
                self.send(cx);
            }
            Timer::Election | Timer::Heartbeat => {}
        }
    }

    /// Sends the waiting command, or the next one if none waits.
    fn send(&mut self, cx: &mut Cx<'_, RaftNode>) {
        if self.paused || self.finished() {
            return;
        }
        let command = *self.outstanding.get_or_insert(Command {
            client: self.id,
            seq: self.completed,
        });
        cx.send(self.target, Msg::Request { command });
        cx.set_timer(Timer::Retry, self.timing.retry_timeout);
    }

    pub(super) fn on_message(&mut self, from: NodeId, msg: Msg, cx: &mut Cx<'_, RaftNode>) {
        match msg {
            Msg::Done { command } if self.outstanding == Some(command) => {
                self.outstanding = None;
                self.completed += 1;
                self.target = from;
                cx.cancel_timer(Timer::Retry);
                if self.finished() {
                    cx.note(Note::ClientDone);
                } else if !self.paused {
                    self.pause_then_send(cx);
                }
            }
            Msg::Redirect { command, leader } if self.outstanding == Some(command) => {
                self.target = leader.unwrap_or((from + 1) % self.servers);
                cx.cancel_timer(Timer::Retry);
                // A pause: a server that knows no leader yet is likely mid-election.
                if !self.paused {
                    self.pause_then_send(cx);
                }
            }
            // Late answers to a command already acknowledged, and server-to-server messages.
            _ => {}
        }
    }

    pub(super) fn on_pause(&mut self, paused: bool, cx: &mut Cx<'_, RaftNode>) {
        self.paused = paused;
        if paused {
            cx.cancel_timer(Timer::Send);
            cx.cancel_timer(Timer::Retry);
        } else if !self.finished() {
            self.pause_then_send(cx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::sent;
    use crate::sim::{Effect, SimRng};

    /// Client 3 of 3 servers with two commands; it starts at server 0.
    fn client() -> Client {
        Client::new(3, 3, 2, RaftTiming::default())
    }

    fn handle(
        c: &mut Client,
        f: impl FnOnce(&mut Client, &mut Cx<'_, RaftNode>),
    ) -> Vec<Effect<RaftNode>> {
        let mut rng = SimRng::new(1, 0);
        let mut effects = Vec::new();
        f(c, &mut Cx::detached(c.id, 0, &mut rng, &mut effects));
        effects
    }

    const FIRST: Command = Command { client: 3, seq: 0 };
    const SECOND: Command = Command { client: 3, seq: 1 };

    #[test]
    fn a_client_follows_redirects_tries_the_next_server_on_a_timeout_and_finishes() {
        let mut c = client();
        assert_eq!(c.target, 0);
        let send = |c: &mut Client| sent(&handle(c, |c, cx| c.on_timer(Timer::Send, cx)));
        assert_eq!(send(&mut c), [(0, Msg::Request { command: FIRST })]);
        // Server 0 knows server 2 leads; a redirect names it, and the command goes there next.
        handle(&mut c, |c, cx| {
            c.on_message(
                0,
                Msg::Redirect {
                    command: FIRST,
                    leader: Some(2),
                },
                cx,
            )
        });
        assert_eq!(send(&mut c), [(2, Msg::Request { command: FIRST })]);
        // No answer in time: the next server, still the same command.
        let effects = handle(&mut c, |c, cx| c.on_timer(Timer::Retry, cx));
        assert_eq!(sent(&effects), [(0, Msg::Request { command: FIRST })]);
        // A redirect knowing no leader: the server after the one that answered.
        handle(&mut c, |c, cx| {
            c.on_message(
                0,
                Msg::Redirect {
                    command: FIRST,
                    leader: None,
                },
                cx,
            )
        });
        assert_eq!(c.target, 1);
        handle(&mut c, |c, cx| {
            c.on_message(1, Msg::Done { command: FIRST }, cx)
        });
        assert_eq!((c.completed, c.outstanding), (1, None));
        // A second acknowledgement of the same command is not one of the next.
        handle(&mut c, |c, cx| {
            c.on_message(1, Msg::Done { command: FIRST }, cx)
        });
        assert_eq!(send(&mut c), [(1, Msg::Request { command: SECOND })]);
        let effects = handle(&mut c, |c, cx| {
            c.on_message(1, Msg::Done { command: SECOND }, cx)
        });
        assert!(c.finished());
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::Note(Note::ClientDone)))
        );
        assert!(send(&mut c).is_empty(), "done");
    }

    #[test]
    fn a_paused_client_sends_nothing_until_resumed() {
        let mut c = client();
        handle(&mut c, |c, cx| c.on_pause(true, cx));
        assert!(sent(&handle(&mut c, |c, cx| c.on_timer(Timer::Send, cx))).is_empty());
        let effects = handle(&mut c, |c, cx| c.on_pause(false, cx));
        assert!(effects.iter().any(|e| matches!(
            e,
            Effect::SetTimer {
                timer: Timer::Send,
                ..
            }
        )));
    }
}
