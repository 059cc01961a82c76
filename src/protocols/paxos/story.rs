//! What happened in a Paxos run, read from its trace: each leader's phase 1 (the promises it
//! counted and what they reported, the value it proposed), the accept majorities, and the
//! broken rules the trace shows at work. The views explain from this, never from the correct
//! protocol's conclusions, and the lessons' objectives read it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::Paxos;
use super::node::{Ballot, Msg, Note, PaxosNode, Value, Variant};
use crate::protocol::ProtocolEngine;
use crate::sim::quorum::majority;
use crate::sim::{Action, Event, MsgId, NodeId, Tick, Traced};
use crate::view::colour_name;

/// An accepted proposal as a promise reports it: "nothing accepted", "red accepted at 1.R".
pub(super) fn report_text(report: Option<(Ballot, Value)>) -> String {
    match report {
        None => "nothing accepted".into(),
        Some((at, value)) => format!("{} accepted at ballot {at}", colour_name(value)),
    }
}

/// One promise a leader counted: what it reported and where in the trace it was sent.
#[derive(Clone, Copy)]
pub(super) struct Report {
    pub(super) accepted: Option<(Ballot, Value)>,
    sent: usize,
}

/// A leader's finished phase 1, read from the trace: its ballot, the value it proposed, the
/// promises it counted (its own first), and the highest earlier ballot a majority had accepted
/// by then (with its value and acceptors).
pub(super) struct PhaseOne {
    /// When the leader proposed.
    pub(super) tick: Tick,
    pub(super) ballot: Ballot,
    pub(super) proposed: Value,
    pub(super) reports: BTreeMap<NodeId, Report>,
    pub(super) earlier: Option<(Ballot, Value, BTreeSet<NodeId>)>,
}

impl PhaseOne {
    pub(super) fn promised(&self) -> BTreeSet<NodeId> {
        self.reports.keys().copied().collect()
    }

    /// The accepted proposal with the highest ballot among the counted promises: what a correct
    /// leader proposes.
    pub(super) fn highest(&self) -> Option<(Ballot, Value)> {
        self.reports.values().filter_map(|r| r.accepted).max()
    }
}

/// An acceptor that accepted a ballot below one it had promised (only a broken acceptor does).
pub(super) struct LateAccept {
    pub(super) node: NodeId,
    pub(super) ballot: Ballot,
    pub(super) value: Value,
    pub(super) promised: Ballot,
}

/// Everything the explanations need, read from the trace in one pass.
#[derive(Default)]
pub(super) struct Story {
    /// Every finished phase 1, in order.
    pub(super) phase_ones: Vec<PhaseOne>,
    /// The acceptors of each ballot, with their values.
    pub(super) accepted: BTreeMap<Ballot, (Value, BTreeSet<NodeId>)>,
    /// Where in the trace each node accepted each ballot.
    accepted_at: HashMap<(NodeId, Ballot), usize>,
    /// Where in the trace each node crashed.
    kills: BTreeMap<NodeId, Vec<usize>>,
    pub(super) late_accepts: Vec<LateAccept>,
}

/// A [`Story`] read so far, with what reading on needs: kept between frames by the game (see
/// [`crate::protocol::TraceFollower`]), so that each trace entry is read once.
#[derive(Default)]
pub(super) struct StoryReader {
    pub(super) story: Story,
    /// Each node's acceptor state as the trace shows it.
    holds: Vec<Option<(Ballot, Value)>>,
    promise: Vec<Ballot>,
    promises_sent: HashMap<MsgId, (Ballot, Report)>,
    preparing: BTreeMap<Ballot, BTreeMap<NodeId, Report>>,
    /// How many trace entries were read.
    read: usize,
}

impl Story {
    /// The story of the whole trace.
    pub(super) fn read(sim: &ProtocolEngine<Paxos>) -> Story {
        let mut reader = StoryReader::default();
        reader.read_on(sim, sim.trace());
        reader.story
    }
}

impl StoryReader {
    /// Reads `new`, the entries of `sim`'s trace after those read so far.
    pub(super) fn read_on(&mut self, sim: &ProtocolEngine<Paxos>, new: &[Traced<PaxosNode>]) {
        let n = sim.actors().len();
        let need = majority(n);
        let amnesiac = |node: NodeId| sim.actors()[node].variant == Variant::Amnesia;
        if self.holds.len() != n {
            self.holds = vec![None; n];
            self.promise = vec![Ballot::default(); n];
        }
        let StoryReader {
            story,
            holds,
            promise,
            promises_sent,
            preparing,
            read,
        } = self;
        let start = *read;
        *read += new.len();
        for (index, traced) in (start..).zip(new) {
            match &traced.event {
                Event::Send {
                    id,
                    from,
                    msg: Msg::Promise { ballot, accepted },
                    ..
                } => {
                    promise[*from] = promise[*from].max(*ballot);
                    let report = Report {
                        accepted: *accepted,
                        sent: index,
                    };
                    promises_sent.insert(*id, (*ballot, report));
                }
                Event::Duplicate { id, of, .. } => {
                    if let Some(copy) = promises_sent.get(of).copied() {
                        promises_sent.insert(*id, copy);
                    }
                }
                Event::Deliver { id, from, to } => {
                    if let Some((ballot, report)) = promises_sent.remove(id)
                        && ballot.node == *to
                        && let Some(reports) = preparing.get_mut(&ballot)
                    {
                        reports.entry(*from).or_insert(report);
                    }
                }
                Event::Action {
                    action: Action::Kill { node },
                } if *node < n => {
                    story.kills.entry(*node).or_default().push(index);
                    if amnesiac(*node) {
                        holds[*node] = None;
                        promise[*node] = Ballot::default();
                    }
                }
                Event::Note { node, note } => match *note {
                    Note::BallotStarted { ballot } => {
                        promise[*node] = ballot;
                        let own = Report {
                            accepted: holds[*node],
                            sent: index,
                        };
                        preparing.insert(ballot, BTreeMap::from([(*node, own)]));
                    }
                    Note::Proposed { ballot, value } => {
                        let earlier = story
                            .accepted
                            .range(..ballot)
                            .rev()
                            .find(|(_, (_, by))| by.len() >= need)
                            .map(|(b, (value, by))| (*b, *value, by.clone()));
                        story.phase_ones.push(PhaseOne {
                            tick: traced.tick,
                            ballot,
                            proposed: value,
                            // Later promises for it change nothing: the leader has moved on.
                            reports: preparing.remove(&ballot).unwrap_or_default(),
                            earlier,
                        });
                    }
                    Note::Accepted { ballot, value } => {
                        if ballot < promise[*node] {
                            story.late_accepts.push(LateAccept {
                                node: *node,
                                ballot,
                                value,
                                promised: promise[*node],
                            });
                        }
                        promise[*node] = promise[*node].max(ballot);
                        holds[*node] = Some((ballot, value));
                        story.accepted_at.insert((*node, ballot), index);
                        story
                            .accepted
                            .entry(ballot)
                            .or_insert((value, BTreeSet::new()))
                            .1
                            .insert(*node);
                    }
                    Note::Decided { .. } => {}
                },
                _ => {}
            }
        }
    }
}

impl Story {
    /// How the leader of `one` chose its value, ending with "so LEADER proposed VALUE" (or
    /// "but ... proposed"), exactly as the trace shows it.
    pub(super) fn choice(one: &PhaseOne) -> String {
        let leader = colour_name(one.ballot.node);
        let proposed = colour_name(one.proposed);
        match one.highest() {
            None => format!(
                "no promise it counted reported an accepted value, so {leader} proposed \
                 {proposed}, its own value"
            ),
            Some((at, value)) if value == one.proposed => {
                let reported: BTreeSet<(Ballot, Value)> =
                    one.reports.values().filter_map(|r| r.accepted).collect();
                let values: BTreeSet<Value> = reported.iter().map(|(_, v)| *v).collect();
                let heard = if values.len() > 1 {
                    let each: Vec<String> =
                        reported.iter().map(|r| report_text(Some(*r))).collect();
                    format!("its promises reported {}; ", each.join(" and "))
                } else {
                    String::new()
                };
                format!(
                    "{heard}the highest ballot its promises reported was {at}, with {proposed}, \
                     so {leader} proposed {proposed}"
                )
            }
            Some((at, value)) => format!(
                "its promises reported {} accepted at ballot {at}, but {leader} ignored them, \
                 which a correct leader never does (the broken rule: skip-highest-accepted), so \
                 {leader} proposed {proposed}, its own value",
                colour_name(value)
            ),
        }
    }

    /// Why `node`, which accepted `value` at `at`, did not tell the leader of `one` about it.
    pub(super) fn why_not_carried(
        &self,
        one: &PhaseOne,
        node: NodeId,
        at: Ballot,
        value: Value,
    ) -> String {
        let report = one.reports[&node];
        let (name, leader, value_name) = (
            colour_name(node),
            colour_name(one.ballot.node),
            colour_name(value),
        );
        if let Some((reported_at, v)) = report.accepted
            && v == value
        {
            let who = if node == one.ballot.node {
                format!("{name} itself")
            } else {
                format!("{name}'s promise told {leader} it")
            };
            return format!("{who} had accepted {value_name} at ballot {reported_at}");
        }
        let accepted_at = self.accepted_at.get(&(node, at)).copied().unwrap_or(0);
        let reported = report_text(report.accepted);
        if accepted_at > report.sent {
            let (promised, whose) = if node == one.ballot.node {
                ("started", "its own report")
            } else {
                ("promised", "its promise")
            };
            return format!(
                "{name} {promised} ballot {} before it accepted {value_name} at the lower ballot \
                 {at}, which a correct acceptor refuses (the broken rule: accept-after-promise), \
                 so {whose} said {reported}",
                one.ballot
            );
        }
        let crashed = self
            .kills
            .get(&node)
            .is_some_and(|kills| kills.iter().any(|k| (accepted_at..report.sent).contains(k)));
        if crashed {
            return format!(
                "{name} crashed and restarted after accepting {value_name} at ballot {at}, and \
                 forgot it (the broken rule: amnesia), so its promise reported {reported}"
            );
        }
        if node == one.ballot.node {
            format!("{name}'s own report said {reported}")
        } else {
            format!("{name}'s promise reported {reported}")
        }
    }
}

/// Every leader's finished phase 1 so far, in order, read from the trace.
pub(super) fn phase_ones(sim: &ProtocolEngine<Paxos>) -> Vec<PhaseOne> {
    Story::read(sim).phase_ones
}

/// When `node` accepted `ballot` below a promise it had made, as the trace shows.
pub(super) fn late_accept(
    sim: &ProtocolEngine<Paxos>,
    node: NodeId,
    ballot: Ballot,
) -> Option<LateAccept> {
    Story::read(sim)
        .late_accepts
        .into_iter()
        .find(|late| late.node == node && late.ballot == ballot)
}
