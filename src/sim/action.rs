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
    /// ec-counter: clients stop issuing requests (only server syncs run) until resumed.
    PauseClients,
    ResumeClients,
}

fn yes() -> bool {
    true
}

/// An action scheduled at a tick, as in scenario files and chaos schedules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedAction {
    pub at: Tick,
    #[serde(flatten)]
    pub action: Action,
}

/// Why the simulator refused an action. The messages are shown to players as they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ActionError {
    UnknownNode(NodeId),
    NotAttackable(NodeId),
    AlreadyDown(NodeId),
    AlreadyUp(NodeId),
    TooManyDown { max_down: usize, nodes: usize },
    BadSlowFactor(u32),
    SelfLink(NodeId),
    NodeInTwoGroups(NodeId),
    UnknownMessage(MsgId),
    NotInThisMode(&'static str),
}

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ActionError::UnknownNode(n) => write!(f, "there is no node {n}"),
            ActionError::NotAttackable(n) => write!(
                f,
                "node {n} is a client; only servers can be attacked that way"
            ),
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
            ActionError::NodeInTwoGroups(n) => write!(f, "node {n} is in two partition groups"),
            ActionError::UnknownMessage(id) => write!(f, "message {id} is not in flight"),
            ActionError::NotInThisMode(what) => write!(f, "{what} does not apply in this mode"),
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
    }
}
