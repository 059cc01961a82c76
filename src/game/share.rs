//! Sharing a round: its link (the setup and the moves, see [`crate::link`]) and its replay file
//! (see [`crate::replay`]). In the browser the link goes to the clipboard and the replay is
//! downloaded; natively the replay is saved in the game's data folder and the link is shown.

use crate::link;
use crate::replay::Replay;
use crate::round::Round;

/// The query that plays this round again: its setup and its whole line of moves.
pub fn round_query(round: &Round) -> String {
    link::query_for_line(&round.setup, round.line())
}

/// The file name a replay of this round is saved under.
fn replay_name(round: &Round) -> String {
    format!(
        "beat-paxos-{}-seed{}-{}moves.json",
        round.setup.mode.name(),
        round.setup.seed,
        round.line().len()
    )
}

/// This round's replay as JSON: its setup and its whole line, with the hash of its full run
/// when that run goes through (so that an edited copy is detected when it is played).
pub fn replay_json(round: &Round) -> String {
    let replay = Replay::of(round);
    replay.clone().with_trace_hash().unwrap_or(replay).to_json()
}

/// Copies the link to this round to the clipboard; says what happened, in words.
#[cfg(target_arch = "wasm32")]
pub fn copy_link(round: &Round) -> String {
    let Some(window) = web_sys::window() else {
        return "no browser window to copy from".into();
    };
    let location = window.location();
    let page = format!(
        "{}{}",
        location.origin().unwrap_or_default(),
        location.pathname().unwrap_or_default()
    );
    let url = page + &round_query(round);
    let navigator = window.navigator();
    let copied = js_sys::Reflect::get(&navigator, &"clipboard".into())
        .ok()
        .filter(|clipboard| !clipboard.is_undefined())
        .and_then(|clipboard| {
            let write = js_sys::Reflect::get(&clipboard, &"writeText".into()).ok()?;
            let write: js_sys::Function = wasm_bindgen::JsCast::dyn_into(write).ok()?;
            write.call1(&clipboard, &url.clone().into()).ok()
        });
    match copied {
        Some(_) => format!("Link copied ({} characters)", url.len()),
        None => format!("This browser would not copy; the link is {url}"),
    }
}

/// Natively there is no page to link to: the link is for the web version (served by
/// `scripts/web.sh serve`, or wherever `BEAT_PAXOS_WEB_URL` says it is hosted).
#[cfg(not(target_arch = "wasm32"))]
pub fn copy_link(round: &Round) -> String {
    let page =
        std::env::var("BEAT_PAXOS_WEB_URL").unwrap_or_else(|_| "http://127.0.0.1:8080/".into());
    let url = page + &round_query(round);
    println!("link to this round: {url}");
    format!("Link to this round (also printed on the terminal): {url}")
}

/// Saves this round's replay; says where, or why it could not.
#[cfg(not(target_arch = "wasm32"))]
pub fn save_replay(round: &Round) -> String {
    let Some(dir) = super::persist::data_dir() else {
        return "cannot save the replay: no data folder on this system".into();
    };
    let path = dir.join("replays").join(replay_name(round));
    let written = std::fs::create_dir_all(path.parent().expect("a file in a folder"))
        .and_then(|()| std::fs::write(&path, replay_json(round)));
    match written {
        Ok(()) => format!(
            "Replay saved: {} (watch it with beat-paxos --replay FILE)",
            path.display()
        ),
        Err(error) => format!("cannot save the replay to {}: {error}", path.display()),
    }
}

/// Downloads this round's replay as a file.
#[cfg(target_arch = "wasm32")]
pub fn save_replay(round: &Round) -> String {
    let name = replay_name(round);
    let download = js_sys::Function::new_with_args(
        "name, text",
        "const a = document.createElement('a');\
         a.href = URL.createObjectURL(new Blob([text], {type: 'application/json'}));\
         a.download = name; document.body.appendChild(a); a.click(); a.remove();",
    );
    match download.call2(
        &wasm_bindgen::JsValue::NULL,
        &name.clone().into(),
        &replay_json(round).into(),
    ) {
        Ok(_) => format!("Replay downloaded as {name}"),
        Err(_) => "this browser would not download the replay".into(),
    }
}
