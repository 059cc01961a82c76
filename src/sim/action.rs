//! Player and scenario actions: faults are data, stamped with the tick they apply at.

use serde::{Deserialize, Serialize};

use super::{MsgId, NodeId, Tick};

/// Something done to the cluster from outside the protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Crash a node: it loses in-flight deliveries, its timers and its volatile state.
    Kill {
        node: NodeId,
    },
    /// Restart a crashed node from its durable state.
    Recover {
        node: NodeId,
    },
    /// Make a node `factor` times slower (messages to and from it, and its timers); 1 restores it.
    Slow {
        node: NodeId,
        factor: u32,
    },
    /// Cut the link `from -> to`, and `to -> from` too when `both` (the default).
    Cut {
        from: NodeId,
        to: NodeId,
        #[serde(default = "yes")]
        both: bool,
    },
    /// Heal the link between two nodes, both directions.
    Heal {
        from: NodeId,
        to: NodeId,
    },
    /// Split the listed nodes into groups that cannot talk to each other; unlisted nodes keep all links.
    Partition {
        groups: Vec<Vec<NodeId>>,
    },
    /// Heal every cut link and the partition.
    HealAll,
    /// Drop one in-flight message.
    Drop {
        message: MsgId,
    },
    /// Drop the next message `from` sends (it dies halfway along its link).
    DropNext {
        from: NodeId,
    },
    /// Deliver one in-flight message twice: a copy (with its own id) arrives `delay` ticks after
    /// the original is due.
    Duplicate {
        message: MsgId,
        #[serde(default)]
        delay: Tick,
    },
    /// Send the next message `from` sends twice: the copy arrives `delay` ticks after it.
    DuplicateNext {
        from: NodeId,
        #[serde(default)]
        delay: Tick,
    },
    /// ec-counter: clients stop issuing requests (only server syncs run) until resumed.
    PauseClients,
    ResumeClients,
    /// The player submits a client command at `node`, which handles it as a client's (Raft: a
    /// leader logs it, another server refuses it, naming the leader). Refused by a node that
    /// takes no commands ([`Actor::takes_commands`](super::Actor::takes_commands)) and by a
    /// down node.
    Submit {
        node: NodeId,
    },
    /// Network player: deliver in-flight message `message` now; with `copy`, deliver a copy of
    /// it (with its own id) and leave it waiting.
    Deliver {
        message: MsgId,
        #[serde(default, skip_serializing_if = "is_false")]
        copy: bool,
    },
    /// Network player: fire now the `timer`-th of the timers `node` has armed, in the order
    /// armed (see `Engine::armed_timers`).
    Fire {
        node: NodeId,
        #[serde(default)]
        timer: usize,
    },
    /// Network player: let the network deliver messages and fire timers by itself (`run`), or
    /// hold them for the player again.
    Network {
        run: bool,
    },
}

fn yes() -> bool {
    true
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The longest a duplicate may trail its original: long enough to arrive after any timeout a
/// scenario may set, short enough that arrival ticks never overflow.
pub const MAX_DUPLICATE_DELAY: Tick = 1_000_000;

/// An action scheduled at a tick, as in scenario files and chaos schedules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimedAction {
    pub at: Tick,
    #[serde(flatten)]
    pub action: Action,
}

/// Prefixes an error message with the path of the field inside a value that was read in two
/// steps; `scenario::parse_json` moves the path into the error's field path
/// (`actions[0].node`).
pub(crate) const NESTED_PATH: char = '\u{1f}';

/// A scheduled action's fields, as they are; errors call it what `in_plain_words` explains.
struct Fields;

impl<'de> serde::de::Visitor<'de> for Fields {
    type Value = serde_json::Map<String, serde_json::Value>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("struct TimedAction")
    }
    fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut fields = serde_json::Map::new();
        while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
            if fields.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("duplicate field `{key}`")));
            }
            fields.insert(key, value);
        }
        Ok(fields)
    }
}

/// Read by hand rather than derived: serde's `flatten` reads the action through a buffer, and
/// errors inside it lost their field (`"node": "0"` said `actions[0]`, not `actions[0].node`).
impl<'de> Deserialize<'de> for TimedAction {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut fields = deserializer.deserialize_map(Fields)?;
        let at = fields
            .remove("at")
            .ok_or_else(|| D::Error::missing_field("at"))?;
        let nested = |error: serde_path_to_error::Error<serde_json::Error>, field: &str| {
            D::Error::custom(format!(
                "{NESTED_PATH}{field}{NESTED_PATH}{}",
                error.into_inner()
            ))
        };
        let at: Tick = serde_path_to_error::deserialize(at).map_err(|e| nested(e, "at"))?;
        // An internally tagged enum reads its fields through a buffer too, so each field's type
        // is checked here first, where its name is known.
        for (name, value) in &fields {
            let value = value.clone();
            let checked = match name.as_str() {
                "node" | "from" | "to" => {
                    serde_path_to_error::deserialize::<_, NodeId>(value).map(drop)
                }
                "factor" => serde_path_to_error::deserialize::<_, u32>(value).map(drop),
                "both" | "copy" | "run" => {
                    serde_path_to_error::deserialize::<_, bool>(value).map(drop)
                }
                "timer" => serde_path_to_error::deserialize::<_, usize>(value).map(drop),
                "groups" => {
                    serde_path_to_error::deserialize::<_, Vec<Vec<NodeId>>>(value).map(drop)
                }
                "message" => serde_path_to_error::deserialize::<_, MsgId>(value).map(drop),
                "delay" => serde_path_to_error::deserialize::<_, Tick>(value).map(drop),
                _ => Ok(()),
            };
            checked.map_err(|e| {
                let inside = e.path().to_string();
                let path = match inside.as_str() {
                    "." => name.clone(),
                    inside => format!("{name}{inside}"),
                };
                nested(e, &path)
            })?;
        }
        let action: Action = serde_path_to_error::deserialize(serde_json::Value::Object(fields))
            .map_err(|e| {
                let path = e.path().to_string();
                nested(e, &path)
            })?;
        Ok(TimedAction { at, action })
    }
}

impl Action {
    /// The checks that depend only on the cluster's shape: `nodes` nodes, of which those
    /// `attackable` may be killed or slowed. Scenario files run them before a run starts, the
    /// simulator each time an action applies, so both say the same thing.
    pub fn check(
        &self,
        nodes: usize,
        attackable: impl Fn(NodeId) -> bool,
    ) -> Result<(), ActionError> {
        let known = |node: NodeId| {
            if node < nodes {
                Ok(())
            } else {
                Err(ActionError::UnknownNode { node, nodes })
            }
        };
        let target = |node: NodeId| {
            known(node)?;
            if attackable(node) {
                Ok(())
            } else {
                Err(ActionError::NotAttackable(node))
            }
        };
        match self {
            Action::Kill { node } | Action::Recover { node } => target(*node),
            Action::Slow { node, factor } => {
                target(*node)?;
                if (1..=20).contains(factor) {
                    Ok(())
                } else {
                    Err(ActionError::BadSlowFactor(*factor))
                }
            }
            Action::Cut { from, to, .. } | Action::Heal { from, to } => {
                known(*from)?;
                known(*to)?;
                if from == to {
                    Err(ActionError::SelfLink(*from))
                } else {
                    Ok(())
                }
            }
            Action::Partition { groups } => {
                let mut seen = vec![false; nodes];
                for &node in groups.iter().flatten() {
                    known(node)?;
                    if std::mem::replace(&mut seen[node], true) {
                        return Err(ActionError::NodeInTwoGroups(node));
                    }
                }
                Ok(())
            }
            Action::DropNext { from } => known(*from),
            Action::Submit { node } => known(*node),
            Action::Fire { node, .. } => known(*node),
            Action::Deliver { .. } | Action::Network { .. } => Ok(()),
            Action::DuplicateNext { from, delay } => {
                known(*from)?;
                check_delay(*delay)
            }
            Action::Duplicate { delay, .. } => check_delay(*delay),
            Action::PauseClients | Action::ResumeClients => {
                if (0..nodes).all(&attackable) {
                    Err(ActionError::NoClients)
                } else {
                    Ok(())
                }
            }
            Action::HealAll | Action::Drop { .. } => Ok(()),
        }
    }
}

fn check_delay(delay: Tick) -> Result<(), ActionError> {
    if delay <= MAX_DUPLICATE_DELAY {
        Ok(())
    } else {
        Err(ActionError::BadDelay(delay))
    }
}

/// Why an action was refused. The messages are shown to players and in scenario errors as they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ActionError {
    UnknownNode {
        node: NodeId,
        nodes: usize,
    },
    NotAttackable(NodeId),
    AlreadyDown(NodeId),
    AlreadyUp(NodeId),
    TooManyDown {
        max_down: usize,
        nodes: usize,
    },
    BadSlowFactor(u32),
    SelfLink(NodeId),
    NodeInTwoGroups(NodeId),
    UnknownMessage(MsgId),
    NoClients,
    BadDelay(Tick),
    /// A command submitted at a node that takes none (a protocol without commands, a client).
    TakesNoCommands(NodeId),
    /// A command submitted at a node that is down.
    DownForCommands(NodeId),
    /// A network player's move in a run whose network delivers by itself.
    NotNetworkPlayer,
    NoTimer {
        node: NodeId,
        timer: usize,
    },
    /// The network already runs by itself (`true`) or already waits for the player.
    NetworkAlready(bool),
}

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ActionError::UnknownNode { node, nodes } => {
                write!(f, "node {node} does not exist (nodes are 0..{nodes})")
            }
            ActionError::NotAttackable(n) => {
                write!(
                    f,
                    "node {n} is a client; only servers can be killed or slowed"
                )
            }
            ActionError::AlreadyDown(n) => write!(f, "node {n} is already down"),
            ActionError::AlreadyUp(n) => write!(f, "node {n} is already up"),
            ActionError::TooManyDown { max_down, nodes } => write!(
                f,
                "at most {max_down} of {nodes} may be down at once (a majority must stay up)"
            ),
            ActionError::BadSlowFactor(x) => write!(f, "slow factor {x} is outside 1..=20"),
            ActionError::SelfLink(n) => {
                write!(f, "a link needs two different nodes (got {n} twice)")
            }
            ActionError::NodeInTwoGroups(n) => write!(f, "node {n} is in two groups"),
            ActionError::UnknownMessage(id) => write!(f, "message {id} is not in flight"),
            ActionError::NoClients => write!(f, "there are no clients to pause in this mode"),
            ActionError::TakesNoCommands(n) => write!(
                f,
                "node {n} takes no commands (only the servers of a protocol with a log do)"
            ),
            ActionError::DownForCommands(n) => {
                write!(f, "node {n} is down: a command needs a server that is up")
            }
            ActionError::NotNetworkPlayer => f.write_str(
                "the network delivers by itself in this round; delivering and firing by hand \
                 needs the network-player mode (--network-player, net=player in links)",
            ),
            ActionError::NoTimer { node, timer: 0 } => {
                write!(f, "node {node} has no timer armed")
            }
            ActionError::NoTimer { node, timer } => {
                write!(f, "node {node} has no timer number {timer} armed")
            }
            ActionError::NetworkAlready(true) => f.write_str("the network already runs"),
            ActionError::NetworkAlready(false) => f.write_str("the network already waits for you"),
            ActionError::BadDelay(delay) => write!(
                f,
                "a duplicate's delay of {delay} ticks is outside 0..={MAX_DUPLICATE_DELAY}"
            ),
        }
    }
}

impl std::error::Error for ActionError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timed_actions_read_as_flat_json() {
        let a: TimedAction =
            serde_json::from_str(r#"{"at": 5, "action": "cut", "from": 0, "to": 2}"#).unwrap();
        assert_eq!(
            a,
            TimedAction {
                at: 5,
                action: Action::Cut {
                    from: 0,
                    to: 2,
                    both: true
                }
            }
        );
        let text = serde_json::to_string(&TimedAction {
            at: 9,
            action: Action::HealAll,
        })
        .unwrap();
        assert_eq!(text, r#"{"at":9,"action":"heal_all"}"#);
        assert!(serde_json::from_str::<TimedAction>(r#"{"at": 5, "action": "explode"}"#).is_err());
        let copy: TimedAction =
            serde_json::from_str(r#"{"at": 7, "action": "duplicate", "message": 3}"#).unwrap();
        assert_eq!(
            copy.action,
            Action::Duplicate {
                message: 3,
                delay: 0
            },
            "a duplicate trails its original by 0 ticks unless told"
        );
    }

    #[test]
    fn duplicate_delays_are_bounded() {
        let late = Action::DuplicateNext {
            from: 0,
            delay: MAX_DUPLICATE_DELAY + 1,
        };
        assert_eq!(
            late.check(3, |_| true),
            Err(ActionError::BadDelay(MAX_DUPLICATE_DELAY + 1))
        );
        assert!(
            late.check(3, |_| true)
                .unwrap_err()
                .to_string()
                .contains("outside 0..=1000000")
        );
        let unknown = Action::DuplicateNext { from: 3, delay: 0 };
        assert_eq!(
            unknown.check(3, |_| true),
            Err(ActionError::UnknownNode { node: 3, nodes: 3 })
        );
    }
}
