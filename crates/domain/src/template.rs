//! Message templates (WA-4, TEXT-2): how many parameters a template's body takes, whether a
//! send fills them all, and Meta's status events in our words.

use serde_json::Value;

/// The highest `{{n}}` placeholder in a template's components (`BODY` and `HEADER` texts):
/// the number of parameters a send must fill.
pub fn parameter_count(components: &Value) -> usize {
    components
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["text"].as_str())
        .flat_map(placeholders)
        .max()
        .unwrap_or(0)
}

fn placeholders(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.split("{{").skip(1).filter_map(|rest| rest.split_once("}}")).filter_map(|(n, _)| n.trim().parse().ok())
}

/// Why a template send is refused before it reaches Meta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParameterRefusal {
    /// Parameter `n` (1-based) is missing or blank.
    Missing(usize),
    /// More parameters than the template has placeholders.
    TooMany { expected: usize, given: usize },
}

pub fn check_parameters(expected: usize, given: &[String]) -> Result<(), ParameterRefusal> {
    if let Some(blank) = (0..expected).find(|i| given.get(*i).is_none_or(|p| p.trim().is_empty())) {
        return Err(ParameterRefusal::Missing(blank + 1));
    }
    if given.len() > expected {
        return Err(ParameterRefusal::TooMany { expected, given: given.len() });
    }
    Ok(())
}

/// The catalogue status of a template that may be sent.
pub const APPROVED: &str = "approved";

/// The statuses a template can be given by hand (Meta's events may bring others, kept as
/// they come: `flagged`, `deleted`, ...).
pub const STATUSES: [&str; 5] = [APPROVED, "pending", "rejected", "paused", "disabled"];

/// Meta's `message_template_status_update` event as a catalogue status.
pub fn status_from_event(event: &str) -> String {
    match event.to_ascii_uppercase().as_str() {
        "APPROVED" => APPROVED.into(),
        "REJECTED" => "rejected".into(),
        "PENDING" => "pending".into(),
        "FLAGGED" => "flagged".into(),
        "PAUSED" => "paused".into(),
        "DISABLED" => "disabled".into(),
        "PENDING_DELETION" | "DELETED" => "deleted".into(),
        other => other.to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_are_counted_from_the_highest_placeholder() {
        let components = json!([
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
            {"type": "BODY", "text": "Hi {{1}}, your order {{2}} ships on {{ 3 }}."},
            {"type": "FOOTER", "text": "Thanks"}
        ]);
        assert_eq!(parameter_count(&components), 3);
        assert_eq!(parameter_count(&json!([{"type": "BODY", "text": "No placeholders"}])), 0);
        assert_eq!(parameter_count(&json!("not a list")), 0);
        assert_eq!(parameter_count(&json!([{"type": "BODY", "text": "broken {{x}} and {{2"}])), 0);
    }

    #[test]
    fn a_missing_or_blank_parameter_blocks_the_send() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(check_parameters(2, &p(&["Jane", "42"])), Ok(()));
        assert_eq!(check_parameters(2, &p(&["Jane"])), Err(ParameterRefusal::Missing(2)));
        assert_eq!(check_parameters(2, &p(&[" ", "42"])), Err(ParameterRefusal::Missing(1)));
        assert_eq!(check_parameters(0, &p(&["x"])), Err(ParameterRefusal::TooMany { expected: 0, given: 1 }));
    }

    #[test]
    fn meta_events_map_to_statuses() {
        assert_eq!(status_from_event("APPROVED"), "approved");
        assert_eq!(status_from_event("REJECTED"), "rejected");
        assert_eq!(status_from_event("PENDING_DELETION"), "deleted");
        assert_eq!(status_from_event("REINSTATED"), "reinstated");
    }
}
