//! Typed errors of the core. Redis protocol errors are not here: they are reply data (`Reply::Error`),
//! worded as Redis words them. These are the errors of using the simulator itself.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    /// The scenario text is not valid JSON of the scenario format (serde's message, with line and column).
    Parse(String),
    /// The scenario parses but describes something the simulator refuses (a duplicate name, an absurd size).
    Invalid(String),
    /// An action or a command named a process that does not exist.
    UnknownProcess(String),
    /// An action named a host that does not exist.
    UnknownHost(String),
    /// An action (a fault, a repair, a command) is not valid JSON of the action format or has bad values.
    Action(String),
    /// A session export could not be read back.
    Session(String),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Parse(m) => write!(f, "invalid scenario JSON: {m}"),
            SimError::Invalid(m) => write!(f, "invalid scenario: {m}"),
            SimError::UnknownProcess(n) => write!(f, "no process named '{n}'"),
            SimError::UnknownHost(n) => write!(f, "no host named '{n}'"),
            SimError::Action(m) => write!(f, "invalid action: {m}"),
            SimError::Session(m) => write!(f, "invalid session: {m}"),
        }
    }
}

impl std::error::Error for SimError {}

pub type Result<T> = std::result::Result<T, SimError>;
