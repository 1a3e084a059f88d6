//! The three-valued answer every state lookup gives.
//!
//! A check whose inputs are unknown must never pass and never fail: it is reported as skipped
//! with the reason. Keeping "known absent" apart from "unknown" in the type makes that hard to
//! get wrong: an absent section of a state file is `Unknown`, an empty list is `Absent` for
//! every item looked up in it.

/// The result of looking something up in the account state.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup<T> {
    /// The state knows the thing and here it is.
    Found(T),
    /// The state is known to be complete for this kind of thing, and the thing is not there.
    Absent,
    /// The state cannot tell; the string says why (shown to the user in the run summary).
    Unknown(String),
}

impl<T> Lookup<T> {
    pub fn unknown(reason: impl Into<String>) -> Self {
        Lookup::Unknown(reason.into())
    }

    pub fn as_ref(&self) -> Lookup<&T> {
        match self {
            Lookup::Found(t) => Lookup::Found(t),
            Lookup::Absent => Lookup::Absent,
            Lookup::Unknown(r) => Lookup::Unknown(r.clone()),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Lookup<U> {
        match self {
            Lookup::Found(t) => Lookup::Found(f(t)),
            Lookup::Absent => Lookup::Absent,
            Lookup::Unknown(r) => Lookup::Unknown(r),
        }
    }

    pub fn found(self) -> Option<T> {
        match self {
            Lookup::Found(t) => Some(t),
            _ => None,
        }
    }

    pub fn is_found(&self) -> bool {
        matches!(self, Lookup::Found(_))
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Lookup::Absent)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Lookup::Unknown(_))
    }
}

/// A three-valued truth, for IAM conditions and for any check that can be undecided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    pub fn from_bool(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }

    /// Kleene conjunction: false wins, then unknown.
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }

    /// Kleene disjunction: true wins, then unknown.
    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }
}

impl std::ops::Not for Tri {
    type Output = Tri;

    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }
}
