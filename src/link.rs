//! Shared links: the URL query that starts a specific game (`?mode=paxos&nodes=5&seed=42`), so a
//! teacher can send a class the exact same round. Parsing never fails: each bad parameter is
//! reported in words and left at its default.

use crate::protocols::{self, REGISTRY};
use crate::scenario::{self, Setup};

/// What a link asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub setup: Setup,
    /// The built-in scenario's name, if one was given.
    pub scenario: Option<String>,
    pub speed: Option<String>,
    /// Whether the link chose anything (then the game skips the title screen).
    pub chose: bool,
    /// One sentence per parameter that was ignored.
    pub problems: Vec<String>,
}

/// The parameters a link may carry: these, and every protocol's linked knobs.
const GENERAL: [&str; 5] = ["mode", "nodes", "seed", "scenario", "speed"];

fn known_parameters() -> Vec<&'static str> {
    let mut known = GENERAL.to_vec();
    for knob in REGISTRY
        .iter()
        .flat_map(|m| m.knobs())
        .filter(|k| k.in_link)
    {
        if !known.contains(&knob.field) {
            known.push(knob.field);
        }
    }
    known
}

/// Reads a query string (with or without the leading `?`).
pub fn parse(query: &str) -> Link {
    let pairs: Vec<(String, String)> = query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    let mut problems = Vec::new();
    let get = |key: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };

    // A scenario sets everything else first; the other parameters then adjust it.
    let mut scenario_name = None;
    let mut setup = Setup::for_mode(scenario::default_mode());
    if let Some(wanted) = get("scenario") {
        let shipped = scenario::shipped();
        let found = shipped.iter().find(|(file, s)| {
            file.trim_end_matches(".json") == wanted || s.name.as_deref() == Some(wanted)
        });
        match found.map(|(_, s)| (s, Setup::from_scenario(s))) {
            Some((s, Ok(resolved))) => {
                setup = resolved;
                scenario_name = s.name.clone();
            }
            _ => {
                let names: Vec<&str> = shipped
                    .iter()
                    .map(|(f, _)| f.trim_end_matches(".json"))
                    .collect();
                problems.push(format!(
                    "scenario `{wanted}` is not one of: {}",
                    names.join(", ")
                ));
            }
        }
    }
    if let Some(text) = get("mode") {
        match protocols::by_name(text) {
            Some(mode) if mode != setup.mode => {
                let seed = setup.seed;
                setup = Setup::for_mode(mode);
                setup.seed = seed;
                scenario_name = None;
            }
            Some(_) => {}
            None => problems.push(format!(
                "unknown mode `{text}` (expected {})",
                protocols::names()
            )),
        }
    }
    let mut number = |key: &str, range: std::ops::RangeInclusive<u64>| -> Option<u64> {
        let text = get(key)?;
        match text.parse::<u64>() {
            Ok(v) if range.contains(&v) => Some(v),
            _ => {
                problems.push(format!(
                    "`{key}={text}` is not a whole number in {}..={}",
                    range.start(),
                    range.end()
                ));
                None
            }
        }
    };
    let mode = setup.mode;
    for knob in mode.knobs().iter().filter(|k| k.in_link) {
        // `nodes` also sets the protocol's size, whatever that knob is called.
        let alias = (knob.field == mode.size_knob() && knob.field != "nodes").then_some("nodes");
        let value = number(knob.field, knob.range.clone())
            .or_else(|| alias.and_then(|a| number(a, knob.range.clone())));
        if let Some(value) = value {
            setup
                .set_knob(knob.field, value)
                .expect("the mode's own knob");
        }
    }
    if let Some(seed) = number("seed", 0..=u64::MAX) {
        setup.seed = seed;
    }
    let speed = get("speed").map(str::to_string);
    let known = known_parameters();
    for (key, _) in &pairs {
        if !known.contains(&key.as_str()) {
            problems.push(format!(
                "unknown parameter `{key}` (known: {})",
                known.join(", ")
            ));
        } else if mode.knobs().iter().all(|k| k.field != key) && !GENERAL.contains(&key.as_str()) {
            problems.push(format!("`{key}` does not apply to {}", mode.name()));
        }
    }
    Link {
        chose: !pairs.is_empty(),
        setup,
        scenario: scenario_name,
        speed,
        problems,
    }
}

/// Percent-decoding for query values (`+` is a space).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&text[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query that reproduces `setup` (for a "share this game" link).
pub fn query_for(setup: &Setup) -> String {
    let mut query = format!("?mode={}", setup.mode.name());
    for knob in setup.mode.knobs().iter().filter(|k| k.in_link) {
        query += &format!("&{}={}", knob.field, setup.knob(knob.field));
    }
    query + &format!("&seed={}", setup.seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::{ec_counter, paxos};

    #[test]
    fn a_teachers_link_sets_the_game() {
        let link = parse("?mode=paxos&nodes=5&seed=42");
        assert!(link.chose && link.problems.is_empty());
        assert_eq!(
            (link.setup.mode, link.setup.knob("nodes"), link.setup.seed),
            (paxos::MODE, 5, 42)
        );
        let link = parse("mode=ec-counter&servers=4&clients=7&requests=20&seed=9&speed=2");
        assert_eq!(
            (
                link.setup.mode,
                link.setup.knob("servers"),
                link.setup.knob("clients"),
                link.setup.knob("requests")
            ),
            (ec_counter::MODE, 4, 7, 20)
        );
        assert_eq!(link.speed.as_deref(), Some("2"));
        assert_eq!(
            parse(&query_for(&link.setup)).setup,
            link.setup,
            "links round-trip"
        );
        assert!(!parse("").chose);
    }

    #[test]
    fn bad_parameters_are_reported_and_fall_back_to_defaults() {
        let link = parse("?mode=raft&nodes=40&seed=-3&color=red");
        assert_eq!(link.setup, Setup::for_mode(paxos::MODE));
        assert_eq!(link.problems.len(), 4, "{:?}", link.problems);
        assert!(link.problems[0].contains("unknown mode `raft`"));
        assert!(link.problems[1].contains("`nodes=40`"));
        assert!(
            link.problems
                .iter()
                .any(|p| p.contains("unknown parameter `color`"))
        );
        let link = parse("?nodes=%35&seed=1%");
        assert_eq!(link.setup.knob("nodes"), 5, "percent-encoded digits decode");
        assert_eq!(link.problems.len(), 1);
    }

    #[test]
    fn a_link_can_name_a_built_in_scenario() {
        let link = parse("?scenario=leader-crash");
        assert_eq!(link.scenario.as_deref(), Some("The leader crashes"));
        assert!(!link.setup.actions.is_empty());
        let link = parse("?scenario=nope");
        assert!(link.problems[0].contains("leader-crash"));
    }
}
