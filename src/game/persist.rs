//! Best scores and the lessons done, kept across restarts in JSON files in the user's data
//! directory (localStorage on the web). A missing file starts empty; a corrupt one is set aside
//! (never overwritten) with a warning.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use super::Screen;
use super::sim_step::CurrentRound;
use crate::protocol::Setup;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ScoreStore>()
        .add_systems(Startup, load)
        .add_systems(
            OnEnter(Screen::Results),
            record_score.run_if(resource_exists::<BestScores>),
        );
}

/// Where best scores (and, beside them, the lessons done) are kept.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub enum ScoreStore {
    /// In memory only (headless tests).
    #[default]
    Memory,
    File(PathBuf),
    /// The browser's localStorage, under `beat-paxos/best-scores`.
    #[cfg(target_arch = "wasm32")]
    LocalStorage,
}

impl ScoreStore {
    pub fn load(&self) -> BestScores {
        match self {
            ScoreStore::Memory => BestScores::default(),
            ScoreStore::File(path) => load_scores(path),
            #[cfg(target_arch = "wasm32")]
            ScoreStore::LocalStorage => local_storage::load_scores(),
        }
    }

    pub fn load_lessons(&self) -> LessonsDone {
        match self {
            ScoreStore::Memory => LessonsDone::default(),
            ScoreStore::File(path) => {
                let (done, warning) = load_json(&lessons_path(path));
                LessonsDone { warning, ..done }
            }
            #[cfg(target_arch = "wasm32")]
            ScoreStore::LocalStorage => {
                let (done, warning) = local_storage::load(local_storage::LESSONS_KEY);
                LessonsDone { warning, ..done }
            }
        }
    }

    pub fn save_lessons(&self, done: &LessonsDone) -> Result<(), String> {
        match self {
            ScoreStore::Memory => Ok(()),
            ScoreStore::File(path) => {
                let path = lessons_path(path);
                save_json(&path, done)
                    .map_err(|e| format!("cannot save lesson progress to {}: {e}", path.display()))
            }
            #[cfg(target_arch = "wasm32")]
            ScoreStore::LocalStorage => local_storage::save(local_storage::LESSONS_KEY, done),
        }
    }

    pub fn save(&self, scores: &BestScores) -> Result<(), String> {
        match self {
            ScoreStore::Memory => Ok(()),
            ScoreStore::File(path) => save_scores(path, scores)
                .map_err(|e| format!("cannot save best scores to {}: {e}", path.display())),
            #[cfg(target_arch = "wasm32")]
            ScoreStore::LocalStorage => local_storage::save_scores(scores),
        }
    }
}

/// The lessons the player has done, by name.
#[derive(Resource, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LessonsDone {
    pub done: BTreeSet<String>,
    /// Why the saved progress could not be read or written, for the title screen.
    #[serde(skip)]
    pub warning: Option<String>,
}

/// Lesson progress lives beside the best scores.
fn lessons_path(scores: &std::path::Path) -> PathBuf {
    scores.with_file_name("lessons.json")
}

/// Best score (simulated milliseconds) per mode and cluster size.
#[derive(Resource, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BestScores {
    pub best: BTreeMap<String, u64>,
    /// Set when this round beat the previous best.
    #[serde(skip)]
    pub new_record: bool,
    /// Why the saved scores could not be read or written, for the HUD.
    #[serde(skip)]
    pub warning: Option<String>,
}

impl BestScores {
    /// "paxos-3", "ec-counter-3x5": one best score per protocol and cluster shape.
    pub fn key(setup: &Setup) -> String {
        setup.mode.score_key(setup)
    }

    pub fn get(&self, setup: &Setup) -> Option<u64> {
        self.best.get(&Self::key(setup)).copied()
    }

    /// Records a score; returns whether it is a new best. A score of 0 (the player caused no
    /// delay) is never one.
    pub fn offer(&mut self, setup: &Setup, score: u64) -> bool {
        if score == 0 {
            return false;
        }
        let slot = self.best.entry(Self::key(setup)).or_insert(0);
        let record = score > *slot;
        *slot = (*slot).max(score);
        record
    }
}

/// Where scores are kept: `$BEAT_PAXOS_DATA_DIR` if set (tests use it), else the platform's data
/// directory.
#[cfg(not(target_arch = "wasm32"))]
pub fn scores_path() -> Option<PathBuf> {
    data_dir().map(|d| d.join("best-scores.json"))
}

/// The game's own folder for what it saves (scores, replays).
#[cfg(not(target_arch = "wasm32"))]
pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os("BEAT_PAXOS_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|d| d.join("beat-paxos")))
}

/// Reads saved scores. Missing is fine; unreadable is reported and the file kept aside.
pub fn load_scores(path: &std::path::Path) -> BestScores {
    let (scores, warning) = load_json(path);
    BestScores { warning, ..scores }
}

/// Writes scores atomically: a crash mid-write leaves the old file intact.
pub fn save_scores(path: &std::path::Path, scores: &BestScores) -> std::io::Result<()> {
    save_json(path, scores)
}

/// Reads a saved JSON file: missing is the default, unreadable or corrupt is the default and a
/// warning (a corrupt file is renamed aside, never overwritten).
fn load_json<T: Default + serde::de::DeserializeOwned>(
    path: &std::path::Path,
) -> (T, Option<String>) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (T::default(), None),
        Err(e) => {
            return (
                T::default(),
                Some(format!("cannot read {}: {e}", path.display())),
            );
        }
    };
    match serde_json::from_str(&text) {
        Ok(value) => (value, None),
        Err(e) => {
            let aside = path.with_extension("json.corrupt");
            let kept = std::fs::rename(path, &aside).is_ok();
            let note = if kept {
                format!("; kept as {}", aside.display())
            } else {
                String::new()
            };
            (
                T::default(),
                Some(format!("ignored corrupt {}: {e}{note}", path.display())),
            )
        }
    }
}

/// Writes a JSON file atomically: a crash mid-write leaves the old file intact.
fn save_json<T: Serialize>(path: &std::path::Path, value: &T) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}

fn load(mut commands: Commands, store: Res<ScoreStore>) {
    let scores = store.load();
    let lessons = store.load_lessons();
    for warning in scores.warning.iter().chain(&lessons.warning) {
        warn!("{warning}");
    }
    commands.insert_resource(scores);
    commands.insert_resource(lessons);
}

fn record_score(
    current: Res<CurrentRound>,
    mut scores: ResMut<BestScores>,
    store: Res<ScoreStore>,
) {
    let Some(outcome) = &current.round.outcome else {
        return;
    };
    // A replayed round's moves are someone else's (or an earlier game's): not a score to keep.
    // A network player's round sets its own clock, so its "delay" is no score either, and must
    // not become the attackers' best for the same cluster.
    if current.round.replayed() || current.round.setup.network_player {
        scores.new_record = false;
        return;
    }
    scores.new_record = scores.offer(&current.round.setup, outcome.score);
    if scores.new_record
        && let Err(e) = store.save(&scores)
    {
        warn!("{e}");
        scores.warning = Some(e);
    }
}

/// Scores in the browser's localStorage; a corrupt entry is kept under another key and
/// reported, never fatal.
#[cfg(target_arch = "wasm32")]
mod local_storage {
    use super::BestScores;

    const SCORES_KEY: &str = "beat-paxos/best-scores";
    pub const LESSONS_KEY: &str = "beat-paxos/lessons";

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    pub fn load_scores() -> BestScores {
        let (scores, warning) = load(SCORES_KEY);
        BestScores { warning, ..scores }
    }

    pub fn save_scores(scores: &BestScores) -> Result<(), String> {
        save(SCORES_KEY, scores)
    }

    /// The value under `key`: missing is the default; corrupt is the default and a warning,
    /// with the text kept under another key.
    pub fn load<T: Default + serde::de::DeserializeOwned>(key: &str) -> (T, Option<String>) {
        let Some(storage) = storage() else {
            return (
                T::default(),
                Some("this browser keeps no local storage; progress lasts one visit".into()),
            );
        };
        let Ok(Some(text)) = storage.get_item(key) else {
            return (T::default(), None);
        };
        match serde_json::from_str(&text) {
            Ok(value) => (value, None),
            Err(e) => {
                let _ = storage.set_item(&format!("{key}.corrupt"), &text);
                let _ = storage.remove_item(key);
                (
                    T::default(),
                    Some(format!("ignored corrupt saved {key} ({e}); kept a copy")),
                )
            }
        }
    }

    pub fn save<T: serde::Serialize>(key: &str, value: &T) -> Result<(), String> {
        let storage = storage().ok_or("this browser keeps no local storage")?;
        let text = serde_json::to_string(value).map_err(|e| e.to_string())?;
        storage
            .set_item(key, &text)
            .map_err(|_| format!("the browser refused to store {key}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_delay_beats_a_best_score() {
        let setup = Setup::for_mode(crate::protocols::paxos::MODE);
        let mut scores = BestScores::default();
        assert!(!scores.offer(&setup, 0), "doing nothing is no record");
        assert_eq!(scores.get(&setup), None, "and is not kept");
        assert!(scores.offer(&setup, 1200));
        assert!(!scores.offer(&setup, 800));
        assert!(!scores.offer(&setup, 1200), "a tie is not a new best");
        assert!(scores.offer(&setup, 1500));
        assert_eq!(scores.get(&setup), Some(1500));
    }

    #[test]
    fn scores_survive_a_round_trip_and_corrupt_files_are_kept_aside() {
        let dir = std::env::temp_dir().join(format!("beat-paxos-scores-{}", std::process::id()));
        let path = dir.join("best-scores.json");
        assert_eq!(
            load_scores(&path),
            BestScores::default(),
            "missing file: empty scores"
        );
        let mut scores = BestScores::default();
        let setup = Setup::for_mode(crate::protocols::paxos::MODE);
        assert!(scores.offer(&setup, 1200));
        assert!(!scores.offer(&setup, 900));
        save_scores(&path, &scores).unwrap();
        assert_eq!(load_scores(&path).get(&setup), Some(1200));

        std::fs::write(&path, "{ not json").unwrap();
        let loaded = load_scores(&path);
        assert_eq!(loaded.best.len(), 0);
        assert!(loaded.warning.unwrap().contains("ignored corrupt"));
        assert_eq!(
            std::fs::read_to_string(path.with_extension("json.corrupt")).unwrap(),
            "{ not json"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn lesson_progress_is_kept_beside_the_scores_and_a_corrupt_file_loses_nothing_else() {
        let dir = std::env::temp_dir().join(format!("beat-paxos-lessons-{}", std::process::id()));
        let store = ScoreStore::File(dir.join("best-scores.json"));
        assert_eq!(store.load_lessons(), LessonsDone::default());
        let mut progress = LessonsDone::default();
        progress.done.insert("cut-off".into());
        store.save_lessons(&progress).unwrap();
        assert_eq!(store.load_lessons().done, progress.done);
        let mut scores = BestScores::default();
        scores.offer(&Setup::for_mode(crate::protocols::paxos::MODE), 700);
        store.save(&scores).unwrap();

        std::fs::write(dir.join("lessons.json"), "[1, 2").unwrap();
        let loaded = store.load_lessons();
        assert!(loaded.done.is_empty());
        assert!(loaded.warning.unwrap().contains("ignored corrupt"));
        assert!(dir.join("lessons.json.corrupt").exists());
        assert_eq!(store.load().best, scores.best, "the scores are untouched");
        std::fs::remove_dir_all(dir).ok();
    }
}
