//! Virtual time. Nothing in the core reads a wall clock: every instant is a `SimTime`.

use crate::json::{Json, ToJson};
use std::fmt;
use std::ops::{Add, Sub};

/// Milliseconds of virtual time since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);

    pub fn ms(self) -> u64 {
        self.0
    }

    /// Whole seconds, as Redis reports uptimes and ages.
    pub fn secs(self) -> u64 {
        self.0 / 1000
    }

    pub fn saturating_sub(self, other: SimTime) -> u64 {
        self.0.saturating_sub(other.0)
    }
}

/// Written as the number of milliseconds.
impl ToJson for SimTime {
    fn write_json(&self, out: &mut Json) {
        self.0.write_json(out);
    }
}

impl Add<u64> for SimTime {
    type Output = SimTime;
    fn add(self, ms: u64) -> SimTime {
        SimTime(self.0.saturating_add(ms))
    }
}

impl Sub for SimTime {
    type Output = u64;
    fn sub(self, other: SimTime) -> u64 {
        self.0.saturating_sub(other.0)
    }
}

impl fmt::Display for SimTime {
    /// `12.345s`: seconds with millisecond precision, the way the timeline labels instants.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}
