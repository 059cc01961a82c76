//! The trace: the events of a run as the trace file, the event log and replays read them, their
//! counters, and the FNV-1a digest that compares traces across platforms.

use std::io::Write;

use serde::Serialize;

use super::{Action, Actor, MsgId, NodeId, Tick, Violation};

/// Why a message never arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    LinkCut,
    ReceiverDown,
    Player,
    /// A scripted run lost it: a `lose` step, or no step delivered it before the script ended.
    Lost,
}

/// One entry of the event history: what the trace file, the event log and replays are made of.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case", bound = "")]
pub enum Event<A: Actor> {
    Send {
        id: MsgId,
        from: NodeId,
        to: NodeId,
        arrives: Tick,
        msg: A::Msg,
    },
    /// The network made a second copy of message `of`, with its own id `id`. The copy is not a
    /// `send`: the sender did nothing. It is delivered, or lost, like any message.
    Duplicate {
        id: MsgId,
        of: MsgId,
        from: NodeId,
        to: NodeId,
        arrives: Tick,
    },
    Deliver {
        id: MsgId,
        from: NodeId,
        to: NodeId,
    },
    Drop {
        id: MsgId,
        from: NodeId,
        to: NodeId,
        reason: DropReason,
    },
    Timer {
        node: NodeId,
        timer: A::Timer,
    },
    Action {
        action: Action,
    },
    Refused {
        action: Action,
        reason: String,
    },
    Note {
        node: NodeId,
        note: A::Note,
    },
    Violation {
        violation: Violation,
    },
}

#[derive(Clone, Debug, Serialize)]
#[serde(bound = "")]
pub struct Traced<A: Actor> {
    pub tick: Tick,
    #[serde(flatten)]
    pub event: Event<A>,
}

/// How many events a trace holds and the FNV-1a hash of its JSON lines: the same whether the
/// trace was kept in memory or streamed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceDigest {
    pub events: u64,
    pub hash: u64,
}

impl Default for TraceDigest {
    fn default() -> Self {
        TraceDigest {
            events: 0,
            hash: FNV_OFFSET,
        }
    }
}

impl TraceDigest {
    /// Counts one more event, given as its JSON line.
    pub fn add(&mut self, line: &[u8]) {
        self.events += 1;
        self.hash = fnv1a64(self.hash, line);
    }
}

/// A trace written out as the run goes, one JSON line per event, instead of kept in memory.
pub(super) struct TraceStream {
    pub(super) out: Box<dyn Write + Send + Sync>,
    /// The line being written, reused so that streaming allocates nothing per event.
    pub(super) line: Vec<u8>,
    pub(super) digest: TraceDigest,
    /// The first write that failed; nothing more is written after it.
    pub(super) error: Option<std::io::Error>,
}

impl TraceStream {
    pub(super) fn write<A: Actor>(&mut self, traced: &Traced<A>) {
        if self.error.is_some() {
            return;
        }
        self.line.clear();
        serde_json::to_writer(&mut self.line, traced).expect("trace events serialize");
        self.line.push(b'\n');
        self.digest.add(&self.line);
        if let Err(error) = self.out.write_all(&self.line) {
            self.error = Some(error);
        }
    }
}

/// Message counters for a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MessageStats {
    pub sent: u64,
    pub delivered: u64,
    pub dropped: u64,
    /// Copies the network made; every message sent or copied is delivered, dropped or in flight.
    /// Left out of the JSON when zero, so runs without duplication print what they always did.
    #[serde(skip_serializing_if = "is_zero")]
    pub duplicated: u64,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

/// FNV-1a (64-bit) over bytes: a tiny, portable hash to compare traces across platforms.
pub fn fnv1a64(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The FNV-1a starting value.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
