//! Best scores, kept across restarts in a JSON file in the user's data directory. A missing file
//! starts empty; a corrupt one is set aside (never overwritten) with a warning.

use std::collections::BTreeMap;
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

/// Where best scores are kept.
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

/// Parses saved scores; what was wrong, if they are unusable.
pub fn parse_scores(text: &str) -> Result<BestScores, String> {
    serde_json::from_str::<BestScores>(text).map_err(|e| e.to_string())
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

    /// Records a score; returns whether it is a new best.
    pub fn offer(&mut self, setup: &Setup, score: u64) -> bool {
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
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return BestScores::default(),
        Err(e) => {
            return BestScores {
                warning: Some(format!("cannot read {}: {e}", path.display())),
                ..default()
            };
        }
    };
    match parse_scores(&text) {
        Ok(scores) => scores,
        Err(e) => {
            let aside = path.with_extension("json.corrupt");
            let kept = std::fs::rename(path, &aside).is_ok();
            let note = if kept {
                format!("; kept as {}", aside.display())
            } else {
                String::new()
            };
            BestScores {
                warning: Some(format!("ignored corrupt {}: {e}{note}", path.display())),
                ..default()
            }
        }
    }
}

/// Writes scores atomically: a crash mid-write leaves the old file intact.
pub fn save_scores(path: &std::path::Path, scores: &BestScores) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string_pretty(scores).map_err(std::io::Error::other)?;
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}

fn load(mut commands: Commands, store: Res<ScoreStore>) {
    let scores = store.load();
    if let Some(warning) = &scores.warning {
        warn!("{warning}");
    }
    commands.insert_resource(scores);
}

fn record_score(
    current: Res<CurrentRound>,
    mut scores: ResMut<BestScores>,
    store: Res<ScoreStore>,
) {
    let Some(outcome) = &current.round.outcome else {
        return;
    };
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
    use super::{BestScores, parse_scores};

    const SCORES_KEY: &str = "beat-paxos/best-scores";

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    pub fn load_scores() -> BestScores {
        let Some(storage) = storage() else {
            return BestScores {
                warning: Some("this browser keeps no local storage; scores last one visit".into()),
                ..Default::default()
            };
        };
        let Ok(Some(text)) = storage.get_item(SCORES_KEY) else {
            return BestScores::default();
        };
        match parse_scores(&text) {
            Ok(scores) => scores,
            Err(e) => {
                let _ = storage.set_item(&format!("{SCORES_KEY}.corrupt"), &text);
                let _ = storage.remove_item(SCORES_KEY);
                BestScores {
                    warning: Some(format!("ignored corrupt saved scores ({e}); kept a copy")),
                    ..Default::default()
                }
            }
        }
    }

    pub fn save_scores(scores: &BestScores) -> Result<(), String> {
        let storage = storage().ok_or("this browser keeps no local storage")?;
        let text = serde_json::to_string(scores).map_err(|e| e.to_string())?;
        storage
            .set_item(SCORES_KEY, &text)
            .map_err(|_| "the browser refused to store the scores".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
