//! New-customer distribution (DIST-1): per number, the staff who receive new customers and
//! how — everyone is offered the chat and the first to reply wins it, or customers are handed
//! out in turn.

use crate::visibility::StaffId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everyone eligible is offered the chat; the first reply makes its writer responsible.
    FirstResponder,
    /// Round robin among the eligible staff.
    InTurn,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::FirstResponder, Mode::InTurn];

    pub fn name(self) -> &'static str {
        match self {
            Mode::FirstResponder => "first_responder",
            Mode::InTurn => "in_turn",
        }
    }

    pub fn parse(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// In turn: who gets the customer handed out as number `turn` (0, 1, 2 ...), among the staff
/// in the number's list who are enabled now, in list order. Disabled staff are skipped by
/// leaving them out of `enabled`; nobody is picked when nobody is enabled.
pub fn in_turn(turn: i64, enabled: &[StaffId]) -> Option<StaffId> {
    if enabled.is_empty() {
        return None;
    }
    let index = turn.rem_euclid(enabled.len() as i64) as usize;
    enabled.get(index).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn modes_round_trip() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.name()), Some(m));
        }
        assert_eq!(Mode::parse("random"), None);
    }

    #[test]
    fn turns_go_round_the_list_in_order() {
        let picks: Vec<_> = (0..7).map(|turn| in_turn(turn, &[10, 20, 30])).collect();
        assert_eq!(picks, [10, 20, 30, 10, 20, 30, 10].map(Some));
        assert_eq!(in_turn(5, &[]), None);
    }

    proptest! {
        /// Over any whole number of rounds every enabled person gets exactly the same number of
        /// customers, and nobody outside the list ever gets one.
        #[test]
        fn in_turn_is_fair(staff in proptest::collection::btree_set(1i64..1000, 1..12), start in 0i64..1_000_000, rounds in 1usize..5) {
            let staff: Vec<i64> = staff.into_iter().collect();
            let mut counts = std::collections::HashMap::new();
            for turn in start..start + (staff.len() * rounds) as i64 {
                let picked = in_turn(turn, &staff).unwrap();
                prop_assert!(staff.contains(&picked));
                *counts.entry(picked).or_insert(0usize) += 1;
            }
            prop_assert!(counts.values().all(|&c| c == rounds));
            prop_assert_eq!(counts.len(), staff.len());
        }
    }
}
