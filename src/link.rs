//! Shared links: the URL query that starts a specific game (`?mode=paxos&nodes=5&seed=42`), so a
//! teacher can send a class the exact same round, and the moves played in it
//! (`&moves=...&check=...`), so a round can be watched again. Parsing never fails: each bad
//! parameter is reported in words and left at its default, and moves that are garbled, cut short
//! or do not match their checksum are reported and dropped (the round starts fresh).
//!
//! The moves are one URL-safe word: each move is its tick in base 36, a capital letter for the
//! attack and its numbers in base 36 (two separated by `-`), moves separated by `.`:
//! `8cI0.r4C1-2.1ceD5a` is "isolate node 0 at tick 300; cut 1-2 at 976; drop message 190 at
//! 1742". `check` is a checksum of the setup and the moves, in base 36.

use serde::Serialize;

use crate::protocols;
use crate::round::{Attack, PlannedMove, check_line};
use crate::scenario::{self, Scenario, Setup};
use crate::sim::{FNV_OFFSET, Tick, fnv1a64};

/// What a link asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub setup: Setup,
    /// The built-in scenario's name, if one was given.
    pub scenario: Option<String>,
    /// The lesson's name, if the link opens one (`?lesson=leader-crash`).
    pub lesson: Option<&'static crate::lesson::Lesson>,
    pub speed: Option<String>,
    /// Classroom mode (`&present=1`): large text, a reduced side panel, captions.
    pub present: bool,
    /// Whether the link chose anything (then the game skips the title screen).
    pub chose: bool,
    /// The moves to play back, in tick order (empty when the link has none, or they were bad).
    pub moves: Vec<PlannedMove>,
    /// One sentence per parameter that was ignored.
    pub problems: Vec<String>,
}

/// The parameters a link may carry: these, and every protocol's knobs (a link writes those
/// marked `in_link` always, the others when they differ from the default).
const GENERAL: [&str; 11] = [
    "mode", "nodes", "seed", "scenario", "lesson", "break", "net", "speed", "present", "moves",
    "check",
];

fn known_parameters() -> Vec<&'static str> {
    let mut known = GENERAL.to_vec();
    for knob in protocols::modes().flat_map(|m| m.knobs()) {
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
    // A lesson is a whole round, as a scenario is; the other parameters are ignored with it.
    let mut lesson = None;
    if let Some(wanted) = get("lesson") {
        match crate::lesson::find(wanted).and_then(|l| Ok((l, l.setup()?))) {
            Ok((found, lesson_setup)) => {
                lesson = Some(found);
                setup = lesson_setup;
            }
            Err(problem) => problems.push(problem),
        }
    }
    if let Some(wanted) = get("scenario").filter(|_| lesson.is_none()) {
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
    if let Some(text) = get("mode").filter(|_| lesson.is_none()) {
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
    for knob in mode.knobs().iter().filter(|_| lesson.is_none()) {
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
    if let Some(seed) = number("seed", 0..=u64::MAX).filter(|_| lesson.is_none()) {
        setup.seed = seed;
    }
    if let Some(name) = get("break").filter(|_| lesson.is_none()) {
        match scenario::resolve_variant(mode, name) {
            Ok(variant) => setup.broken = Some(variant),
            Err(problem) => problems.push(format!("`break={name}`: {problem}")),
        }
    }
    match get("net").filter(|_| lesson.is_none()) {
        None => {}
        Some("player") => setup.network_player = true,
        Some(other) => problems.push(format!(
            "`net={other}` is not `player` (the network player delivers every message; leave \
             `net` out for a network that delivers by itself)"
        )),
    }
    let present = match get("present") {
        None | Some("0") => false,
        Some("1") => true,
        Some(other) => {
            problems.push(format!("`present={other}` is not 0 or 1"));
            false
        }
    };
    let speed = get("speed").map(str::to_string);
    let known = known_parameters();
    for (key, _) in &pairs {
        if !known.contains(&key.as_str()) {
            problems.push(format!(
                "unknown parameter `{key}` (known: {})",
                known.join(", ")
            ));
        } else if lesson.is_some()
            && !["lesson", "speed", "present", "moves", "check"].contains(&key.as_str())
        {
            problems.push(format!(
                "`{key}` does not apply with a lesson (the lesson sets its round)"
            ));
        } else if mode.knobs().iter().all(|k| k.field != key) && !GENERAL.contains(&key.as_str()) {
            problems.push(format!("`{key}` does not apply to {}", mode.name()));
        }
    }
    let moves = match get("moves") {
        Some(text) => moves_of(&setup, text, get("check")).unwrap_or_else(|problem| {
            problems.push(format!("{problem}; the round starts without them"));
            Vec::new()
        }),
        None => Vec::new(),
    };
    Link {
        chose: !pairs.is_empty(),
        setup,
        scenario: scenario_name,
        lesson,
        speed,
        present,
        moves,
        problems,
    }
}

/// The moves a link carries, if they are whole, match their checksum and fit the setup.
fn moves_of(setup: &Setup, text: &str, check: Option<&str>) -> Result<Vec<PlannedMove>, String> {
    let Some(check) = check else {
        return Err("the link's moves have no `check` (the link may have been cut short)".into());
    };
    if check != checksum(setup, text) {
        return Err(
            "the link's moves do not match their `check`: the link was cut short or changed, \
             or its round is one a link cannot describe"
                .into(),
        );
    }
    let moves = decode_moves(text).map_err(|problem| format!("the link's moves: {problem}"))?;
    check_line(setup, &moves).map_err(|problem| format!("the link's moves: {problem}"))?;
    Ok(moves)
}

/// A short checksum of the setup and the moves as written, in base 36: a link cut short or
/// changed anywhere (the moves, or the settings they were played on) no longer matches.
fn checksum(setup: &Setup, moves: &str) -> String {
    let scenario = serde_json::to_string(&Scenario::of(setup)).expect("scenarios serialize");
    let hash = fnv1a64(fnv1a64(FNV_OFFSET, scenario.as_bytes()), moves.as_bytes());
    base36(hash & 0xffff_ffff)
}

fn base36(mut value: u64) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(char::from_digit((value % 36) as u32, 36).expect("a base-36 digit"));
        value /= 36;
        if value == 0 {
            break;
        }
    }
    digits.iter().rev().collect()
}

/// A number in base 36 as a link writes it: lowercase digits only.
fn number(text: &str, what: &str) -> Result<u64, String> {
    let digits = text
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
    match u64::from_str_radix(text, 36) {
        Ok(value) if digits && !text.is_empty() => Ok(value),
        _ => Err(format!("`{text}` is not a {what} (base 36)")),
    }
}

/// Each attack's letter in a link.
fn attack_code(attack: &Attack) -> (char, Vec<u64>) {
    let node = |n: &usize| *n as u64;
    match attack {
        Attack::ToggleDown(n) => ('K', vec![node(n)]),
        Attack::Slow(n, true) => ('S', vec![node(n)]),
        Attack::Slow(n, false) => ('F', vec![node(n)]),
        Attack::Cut(a, b) => ('C', vec![node(a), node(b)]),
        Attack::Isolate(n) => ('I', vec![node(n)]),
        Attack::HealAll => ('H', vec![]),
        Attack::Drop(id) => ('D', vec![*id]),
        Attack::DropNext(n) => ('N', vec![node(n)]),
        Attack::Duplicate(id) => ('U', vec![*id]),
        Attack::DuplicateNext(n) => ('W', vec![node(n)]),
        Attack::PauseClients(true) => ('P', vec![]),
        Attack::PauseClients(false) => ('R', vec![]),
        Attack::Submit(n) => ('A', vec![node(n)]),
        Attack::Deliver(id) => ('M', vec![*id]),
        Attack::DeliverCopy(id) => ('O', vec![*id]),
        Attack::Fire(n, timer) => ('T', vec![node(n), *timer as u64]),
        Attack::RunNetwork(true) => ('G', vec![]),
        Attack::RunNetwork(false) => ('L', vec![]),
    }
}

/// How many numbers the attack lettered `code` takes, if it is one.
fn arity(code: char) -> Option<usize> {
    match code {
        'H' | 'P' | 'R' | 'G' | 'L' => Some(0),
        'K' | 'S' | 'F' | 'I' | 'D' | 'N' | 'U' | 'W' | 'M' | 'O' | 'A' => Some(1),
        'C' | 'T' => Some(2),
        _ => None,
    }
}

fn attack_of(code: char, args: &[u64]) -> Result<Attack, String> {
    let wanted = arity(code).ok_or_else(|| format!("`{code}` is not an attack"))?;
    if args.len() != wanted {
        return Err(format!(
            "attack `{code}` takes {wanted} number(s), not {}",
            args.len()
        ));
    }
    let node = |index: usize| {
        usize::try_from(args[index]).map_err(|_| format!("there is no node {}", args[index]))
    };
    Ok(match code {
        'K' => Attack::ToggleDown(node(0)?),
        'S' => Attack::Slow(node(0)?, true),
        'F' => Attack::Slow(node(0)?, false),
        'C' => Attack::Cut(node(0)?, node(1)?),
        'I' => Attack::Isolate(node(0)?),
        'D' => Attack::Drop(args[0]),
        'N' => Attack::DropNext(node(0)?),
        'U' => Attack::Duplicate(args[0]),
        'W' => Attack::DuplicateNext(node(0)?),
        'P' => Attack::PauseClients(true),
        'R' => Attack::PauseClients(false),
        'A' => Attack::Submit(node(0)?),
        'H' => Attack::HealAll,
        'M' => Attack::Deliver(args[0]),
        'O' => Attack::DeliverCopy(args[0]),
        'T' => Attack::Fire(
            node(0)?,
            usize::try_from(args[1]).map_err(|_| format!("there is no timer {}", args[1]))?,
        ),
        'G' => Attack::RunNetwork(true),
        'L' => Attack::RunNetwork(false),
        _ => return Err(format!("`{code}` is not an attack")),
    })
}

/// The moves as a link writes them (see the module's documentation).
pub fn encode_moves(moves: &[PlannedMove]) -> String {
    let words: Vec<String> = moves
        .iter()
        .map(|planned| {
            let (code, args) = attack_code(&planned.attack);
            let args: Vec<String> = args.into_iter().map(base36).collect();
            format!("{}{code}{}", base36(planned.tick), args.join("-"))
        })
        .collect();
    words.join(".")
}

/// The moves a link's `moves` parameter holds, or what is wrong with it.
pub fn decode_moves(text: &str) -> Result<Vec<PlannedMove>, String> {
    text.split('.')
        .enumerate()
        .map(|(index, word)| {
            let bad = |problem: String| format!("move {}, `{word}`: {problem}", index + 1);
            let Some(at) = word.find(|c: char| c.is_ascii_uppercase()) else {
                return Err(bad("it has no attack (a capital letter)".into()));
            };
            let tick: Tick = number(&word[..at], "tick").map_err(bad)?;
            let code = char::from(word.as_bytes()[at]);
            let rest = &word[at + 1..];
            let args = if rest.is_empty() {
                Vec::new()
            } else {
                rest.split('-')
                    .map(|arg| number(arg, "number"))
                    .collect::<Result<Vec<u64>, String>>()
                    .map_err(bad)?
            };
            let attack = attack_of(code, &args).map_err(bad)?;
            Ok(PlannedMove { tick, attack })
        })
        .collect()
}

/// Percent-decoding for query values (`+` is a space). A `%` not followed by two hex digits is
/// kept as it is; the digits are read as characters, never by slicing the text at byte offsets,
/// which panicked inside a character (`%aé`).
fn decode(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '+' => out.push(b' '),
            '%' => {
                let mut ahead = chars.clone();
                let high = ahead.next().and_then(|c| c.to_digit(16));
                let low = ahead.next().and_then(|c| c.to_digit(16));
                match (high, low) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        chars = ahead;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query that reproduces `setup` (for a "share this game" link).
pub fn query_for(setup: &Setup) -> String {
    query_for_line(setup, &[])
}

/// The query that reproduces `setup` and plays `moves` back in it (for a "share this round"
/// link): a lesson by name when the setup is one's, else a built-in scenario by name when the setup is one, its settings, the seed, and the
/// moves with their checksum. Settings a link cannot carry (a custom network or schedule) are
/// left out; the checksum then fails and the link's moves are dropped rather than played on
/// another round.
pub fn query_for_line(setup: &Setup, moves: &[PlannedMove]) -> String {
    let lesson = crate::lesson::all()
        .map(|(_, lesson)| lesson)
        .find(|lesson| lesson.setup().is_ok_and(|s| s == *setup));
    if let Some(lesson) = lesson {
        let mut query = format!("?lesson={}", lesson.name);
        if !moves.is_empty() {
            let text = encode_moves(moves);
            query += &format!("&moves={text}&check={}", checksum(setup, &text));
        }
        return query;
    }
    let shipped = scenario::shipped();
    let from = shipped.iter().find_map(|(file, s)| {
        let mut base = Setup::from_scenario(s).ok()?;
        let matches = base.mode == setup.mode && {
            let mut same = base.clone();
            same.knobs = setup.knobs.clone();
            same.seed = setup.seed;
            // A broken variant the scenario does not set is written as `break`.
            same.broken = setup.broken.or(same.broken);
            same == *setup
        };
        matches.then(|| {
            base.seed = setup.seed;
            (file.trim_end_matches(".json"), base)
        })
    });
    let (mut query, base) = match from {
        Some((name, base)) => (format!("?scenario={name}&mode={}", setup.mode.name()), base),
        None => (
            format!("?mode={}", setup.mode.name()),
            Setup::for_mode(setup.mode),
        ),
    };
    for knob in setup.mode.knobs() {
        let value = setup.knob(knob.field);
        if knob.in_link || value != base.knob(knob.field) {
            query += &format!("&{}={value}", knob.field);
        }
    }
    query += &format!("&seed={}", setup.seed);
    if setup.broken != base.broken
        && let Some(variant) = setup.broken
    {
        query += &format!("&break={variant}");
    }
    if setup.network_player && !base.network_player {
        query += "&net=player";
    }
    if !moves.is_empty() {
        let text = encode_moves(moves);
        query += &format!("&moves={text}&check={}", checksum(setup, &text));
    }
    query
}

/// A headless play of a lesson and the link that opens it in the game: what `beat-paxos lesson
/// NAME` prints. The link is added here, not in `lesson`, because links know lessons.
#[derive(Clone, Debug, Serialize)]
pub struct LinkedAttempt {
    #[serde(flatten)]
    pub attempt: crate::lesson::Attempt,
    /// The link query that opens this play in the game (`?lesson=NAME`, with the solution's
    /// moves when they were played).
    pub link: String,
}

/// Plays `lesson` headless (see [`Lesson::attempt`](crate::lesson::Lesson::attempt)) and makes
/// the link of that play.
pub fn attempt(
    lesson: &crate::lesson::Lesson,
    with_solution: bool,
) -> Result<LinkedAttempt, String> {
    let recording = lesson.recording()?;
    let moves = if with_solution {
        recording.moves
    } else {
        Vec::new()
    };
    let link = query_for_line(&recording.setup, &moves);
    let attempt = lesson.attempt(with_solution)?;
    Ok(LinkedAttempt { attempt, link })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::{ec_counter, paxos};

    #[test]
    fn percent_decoding_works_on_characters_and_keeps_non_ascii_text() {
        assert_eq!(decode("%aé"), "%aé");
        assert_eq!(decode("é%41+%"), "éA %");
        assert_eq!(decode("%e9%"), "\u{fffd}%", "a lone byte that is not UTF-8");
        assert_eq!(decode("%C3%A9"), "é");
        assert_eq!(decode("%4"), "%4");
        assert_eq!(decode("%%41"), "%A");
        assert_eq!(decode("%4é1"), "%4é1");
        let link = parse("?seed=%aé&mode=é%");
        assert!(
            !link.problems.is_empty(),
            "non-ASCII values are refused, not a panic"
        );
    }

    #[test]
    fn no_query_of_random_characters_makes_parse_panic() {
        let alphabet: Vec<char> = "%+=&?.-0123456789aAfFgzé€😀\u{0}\u{7f}".chars().collect();
        let mut rng = crate::sim::rng::SimRng::new(24, 0);
        for _ in 0..20_000 {
            let len = rng.below(24) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[rng.index(alphabet.len())])
                .collect();
            let _ = parse(&text);
            let _ = decode_moves(&text);
            // What is not a percent sign survives decoding unchanged.
            if !text.contains(['%', '+']) {
                assert_eq!(decode(&text), text);
            }
        }
    }

    #[test]
    fn a_link_can_break_the_protocol_and_open_classroom_mode() {
        let link = parse("?mode=paxos&nodes=5&seed=3&break=amnesia&present=1");
        assert!(link.problems.is_empty(), "{:?}", link.problems);
        assert_eq!(link.setup.broken, Some("amnesia"));
        assert!(link.present);
        let query = query_for(&link.setup);
        assert!(query.contains("&break=amnesia"), "{query}");
        assert_eq!(
            parse(&query).setup,
            link.setup,
            "the break survives a round trip"
        );
        // Every Paxos variant has a link, and it round-trips.
        for variant in paxos::MODE.variants() {
            let link = parse(&format!("?mode=paxos&break={}", variant.name));
            assert!(link.problems.is_empty(), "{:?}", link.problems);
            assert_eq!(link.setup.broken, Some(variant.name));
            assert_eq!(parse(&query_for(&link.setup)).setup, link.setup);
        }
        assert!(
            paxos::MODE.variant("accept-after-promise").is_some(),
            "the promise-check variant is offered"
        );
        assert!(!parse("?mode=paxos").present);
        assert_eq!(parse("?mode=paxos").setup.broken, None);
        assert!(!query_for(&parse("?mode=paxos").setup).contains("break"));

        // A broken shipped scenario keeps its name; the variant it sets is not repeated.
        let scenario_link = parse("?scenario=leader-crash&break=skip-highest-accepted");
        assert!(
            scenario_link.problems.is_empty(),
            "{:?}",
            scenario_link.problems
        );
        let query = query_for(&scenario_link.setup);
        assert!(query.starts_with("?scenario=leader-crash"), "{query}");
        assert_eq!(parse(&query).setup, scenario_link.setup, "{query}");

        let bad = parse("?mode=ec-counter&break=amnesia&present=yes");
        assert_eq!(bad.setup.broken, None);
        assert!(!bad.present);
        assert_eq!(bad.problems.len(), 2, "{:?}", bad.problems);
        assert!(
            bad.problems[0].contains("breaks paxos, not ec-counter"),
            "{:?}",
            bad.problems
        );
        assert!(bad.problems[1].contains("not 0 or 1"));
        let unknown = parse("?break=forgetful");
        assert!(unknown.problems[0].contains("unknown variant `forgetful`"));
    }

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
        let link = parse("?mode=zab&nodes=40&seed=-3&color=red");
        assert_eq!(link.setup, Setup::for_mode(paxos::MODE));
        assert_eq!(link.problems.len(), 4, "{:?}", link.problems);
        assert!(link.problems[0].contains("unknown mode `zab`"));
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

    fn at(tick: Tick, attack: Attack) -> PlannedMove {
        PlannedMove { tick, attack }
    }

    /// A realistic long round: 30 moves of every kind up to tick 60,000.
    fn thirty_moves() -> Vec<PlannedMove> {
        let kinds = [
            Attack::Isolate(8),
            Attack::ToggleDown(4),
            Attack::Slow(7, true),
            Attack::Slow(7, false),
            Attack::Cut(3, 6),
            Attack::Drop(184_467),
            Attack::DropNext(2),
            Attack::Duplicate(99_999),
            Attack::DuplicateNext(5),
            Attack::HealAll,
        ];
        (0..30)
            .map(|k| at(k * 2_000 + 1_999, kinds[k as usize % kinds.len()].clone()))
            .collect()
    }

    #[test]
    fn a_link_carries_the_moves_and_round_trips() {
        let mut setup = Setup::for_mode(paxos::MODE);
        setup.set_knob("nodes", 9).unwrap();
        setup.seed = 123_456;
        let moves = thirty_moves();
        let query = query_for_line(&setup, &moves);
        assert!(query.len() < 2_000, "{} characters: {query}", query.len());
        assert!(
            query
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~?&=".contains(&b)),
            "only unreserved characters besides the query's own: {query}"
        );
        let link = parse(&query);
        assert!(link.problems.is_empty(), "{:?}", link.problems);
        assert_eq!((link.setup, link.moves), (setup.clone(), moves));
        // Without moves the link is what it always was.
        assert_eq!(query_for(&setup), "?mode=paxos&nodes=9&seed=123456");
        assert!(parse(&query_for(&setup)).moves.is_empty());

        let moves = vec![
            at(300, Attack::Isolate(0)),
            at(976, Attack::Cut(1, 2)),
            at(1_742, Attack::Drop(190)),
            at(1_742, Attack::PauseClients(false)),
        ];
        assert_eq!(encode_moves(&moves), "8cI0.r4C1-2.1ceD5a.1ceR");
        // The example of docs/replays.md.
        let mut setup = Setup::for_mode(paxos::MODE);
        setup.set_knob("nodes", 5).unwrap();
        setup.seed = 42;
        assert_eq!(
            query_for_line(&setup, &moves[..3]),
            "?mode=paxos&nodes=5&seed=42&moves=8cI0.r4C1-2.1ceD5a&check=57wxi4"
        );
        assert_eq!(decode_moves("8cI0.r4C1-2.1ceD5a.1ceR").unwrap(), moves);
    }

    #[test]
    fn a_round_of_a_built_in_scenario_or_other_settings_links_as_itself() {
        let shipped = scenario::shipped();
        let (_, duel) = shipped
            .iter()
            .find(|(file, _)| *file == "dueling-leaders.json")
            .unwrap();
        let mut setup = Setup::from_scenario(duel).unwrap();
        setup.seed = 77;
        let moves = vec![at(10, Attack::HealAll)];
        let query = query_for_line(&setup, &moves);
        assert!(
            query.starts_with("?scenario=dueling-leaders&mode=paxos&nodes=5&"),
            "{query}"
        );
        let link = parse(&query);
        assert!(link.problems.is_empty(), "{:?}", link.problems);
        assert_eq!((link.setup, link.moves), (setup, moves.clone()));

        let mut setup = Setup::for_mode(ec_counter::MODE);
        setup.set_knob("ec_counter.sync_period", 20).unwrap();
        let query = query_for_line(&setup, &moves);
        assert!(query.contains("&ec_counter.sync_period=20&"), "{query}");
        assert_eq!(parse(&query).setup, setup);
        assert!(parse(&query).problems.is_empty());
    }

    #[test]
    fn bad_moves_in_a_link_are_reported_and_the_round_starts_fresh() {
        let setup = Setup::for_mode(paxos::MODE);
        let query = query_for_line(&setup, &thirty_moves()[..3]);
        // The moves' problem comes last (a link cut inside `check` also has an unknown `c`).
        let fresh = |query: &str| {
            let mut link = parse(query);
            assert!(link.moves.is_empty(), "{query}");
            let problem = link.problems.pop().unwrap_or_default();
            assert!(
                problem.ends_with("; the round starts without them"),
                "{query}: {problem}"
            );
            link.problems = vec![problem];
            link
        };
        // The moves are for 9 nodes' worth of attacks on a 3-node round: the checksum is right,
        // the moves are not.
        let link = fresh(&query);
        assert!(
            link.problems[0].contains("node 8 does not exist"),
            "{:?}",
            link.problems
        );
        assert_eq!(link.setup, setup, "the setup stands");

        let moves = vec![at(100, Attack::Isolate(0)), at(200, Attack::Cut(1, 2))];
        let query = query_for_line(&setup, &moves);
        assert_eq!(parse(&query).moves, moves);
        // Cut short anywhere: no check, or one that no longer matches.
        for cut in (query.find("moves=").unwrap() + 7..query.len()).step_by(3) {
            let link = fresh(&query[..cut]);
            assert!(
                link.problems[0].contains("no `check`")
                    || link.problems[0].contains("do not match their `check`"),
                "{:?}",
                link.problems
            );
        }
        // Changed: a move, or the seed the moves were played on.
        fresh(&query.replace("5kC1-2", "5kC1-0"));
        let link = fresh(&query.replace("seed=1", "seed=2"));
        assert_eq!(link.setup.seed, 2);
        assert!(
            link.problems[0].contains("do not match"),
            "{:?}",
            link.problems
        );
        // Garbled, with a checksum made for the garbage.
        for (garbled, problem) in [
            ("2sI0.", "it has no attack"),
            ("2sX0", "`X` is not an attack"),
            ("2sC1", "attack `C` takes 2 number(s), not 1"),
            ("-2sI0", "`-2s` is not a tick"),
            ("zzzzzzzzzzzzzzI0", "`zzzzzzzzzzzzzz` is not a tick"),
            (
                "2sI0.1sI0",
                "moves[1].tick: 64 comes before the previous move's tick 100",
            ),
            ("2sI10", "node 36 does not exist"),
        ] {
            let query = format!(
                "?mode=paxos&nodes=3&seed=1&moves={garbled}&check={}",
                checksum(&setup, garbled)
            );
            let link = fresh(&query);
            assert!(
                link.problems[0].contains(problem),
                "{garbled}: {:?}",
                link.problems
            );
        }
    }

    #[test]
    fn a_link_opens_a_lesson_and_a_lesson_round_links_as_its_lesson() {
        let lesson = crate::lesson::find("break-amnesia").unwrap();
        let recording = lesson.recording().unwrap();
        let query = query_for_line(&recording.setup, &recording.moves);
        assert!(query.starts_with("?lesson=break-amnesia&moves="), "{query}");
        let link = parse(&query);
        assert_eq!(link.problems, Vec::<String>::new());
        assert_eq!(link.lesson.map(|l| l.name), Some("break-amnesia"));
        assert_eq!(link.setup, recording.setup);
        assert_eq!(link.moves, recording.moves);

        let link = parse("?lesson=cut-off&seed=9&speed=2");
        assert_eq!(
            link.setup,
            crate::lesson::find("cut-off").unwrap().setup().unwrap()
        );
        assert_eq!(
            link.problems,
            ["`seed` does not apply with a lesson (the lesson sets its round)"]
        );
        assert_eq!(link.speed.as_deref(), Some("2"));

        let link = parse("?lesson=nope");
        assert!(link.lesson.is_none());
        assert!(link.problems[0].starts_with("there is no lesson `nope`"));
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
