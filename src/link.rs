//! Shared links: the URL query that starts a specific game (`?mode=paxos&nodes=5&seed=42`), so a
//! teacher can send a class the exact same round. Parsing never fails: each bad parameter is
//! reported in words and left at its default.

use crate::scenario::{self, Mode, Setup};

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

/// The parameters a link may carry, for the error message.
const KNOWN: &str = "mode, nodes, servers, clients, requests, seed, scenario, speed";

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
    let mut setup = Setup::for_mode(Mode::Paxos);
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
        match Mode::parse(text) {
            Ok(mode) if mode != setup.mode => {
                let seed = setup.seed;
                setup = Setup::for_mode(mode);
                setup.seed = seed;
                scenario_name = None;
            }
            Ok(_) => {}
            Err(e) => problems.push(e),
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
    let paxos_nodes = *scenario::PAXOS_NODES.start() as u64..=*scenario::PAXOS_NODES.end() as u64;
    let servers = *scenario::EC_SERVERS.start() as u64..=*scenario::EC_SERVERS.end() as u64;
    if setup.mode == Mode::Paxos {
        if let Some(n) = number("nodes", paxos_nodes) {
            setup.nodes = n as usize;
        }
    } else if let Some(n) = number("servers", servers.clone()).or_else(|| number("nodes", servers))
    {
        setup.ec.servers = n as usize;
    }
    let clients = *scenario::EC_CLIENTS.start() as u64..=*scenario::EC_CLIENTS.end() as u64;
    if let Some(n) = number("clients", clients) {
        setup.ec.clients = n as usize;
    }
    if let Some(n) = number("requests", 1..=u64::from(*scenario::EC_REQUESTS.end())) {
        setup.ec.requests = n as u32;
    }
    if let Some(seed) = number("seed", 0..=u64::MAX) {
        setup.seed = seed;
    }
    let speed = get("speed").map(str::to_string);
    for (key, _) in &pairs {
        if !KNOWN.split(", ").any(|k| k == key) {
            problems.push(format!("unknown parameter `{key}` (known: {KNOWN})"));
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
    match setup.mode {
        Mode::Paxos => format!("?mode=paxos&nodes={}&seed={}", setup.nodes, setup.seed),
        Mode::EcCounter => format!(
            "?mode=ec-counter&servers={}&clients={}&requests={}&seed={}",
            setup.ec.servers, setup.ec.clients, setup.ec.requests, setup.seed
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_teachers_link_sets_the_game() {
        let link = parse("?mode=paxos&nodes=5&seed=42");
        assert!(link.chose && link.problems.is_empty());
        assert_eq!(
            (link.setup.mode, link.setup.nodes, link.setup.seed),
            (Mode::Paxos, 5, 42)
        );
        let link = parse("mode=ec-counter&servers=4&clients=7&requests=20&seed=9&speed=2");
        assert_eq!(
            (
                link.setup.ec.servers,
                link.setup.ec.clients,
                link.setup.ec.requests
            ),
            (4, 7, 20)
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
        assert_eq!(link.setup, Setup::for_mode(Mode::Paxos));
        assert_eq!(link.problems.len(), 4, "{:?}", link.problems);
        assert!(link.problems[0].contains("unknown mode `raft`"));
        assert!(link.problems[1].contains("`nodes=40`"));
        assert!(
            link.problems
                .iter()
                .any(|p| p.contains("unknown parameter `color`"))
        );
        let link = parse("?nodes=%35&seed=1%");
        assert_eq!(link.setup.nodes, 5, "percent-encoded digits decode");
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
