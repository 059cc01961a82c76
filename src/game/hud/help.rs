//! The cheat sheet (the protocol's messages in words) and the controls.

use bevy_egui::egui;
use egui::RichText;

use super::MUTED;
use crate::view::CheatSheet;

/// Every way to attack, by mouse or touch and by key.
const CONTROLS: [(&str, &str); 14] = [
    ("double-click / double-tap", "kill or recover a node"),
    ("press and hold", "slow a node while held"),
    ("drag node to node", "cut their link (heals by itself)"),
    ("click a message", "drop it"),
    ("1-9", "select a node"),
    ("K / S / D / I", "kill-recover / slow / drop next / isolate"),
    ("U", "duplicate the next message (it arrives twice)"),
    ("C then 1-9", "cut the link to that node"),
    ("H", "heal the network"),
    ("P", "pause clients (ec-counter)"),
    ("Space / . / + -", "pause / step / speed"),
    ("R, Enter", "restart, next round"),
    ("T / Left / Home", "diagram / one event back / start"),
    ("V", "classroom mode: large text, captions"),
];

/// The network player's own controls, shown above the others in that mode.
const NETWORK_CONTROLS: [(&str, &str); 5] = [
    ("click / tap a message", "deliver it"),
    ("N, Enter", "pick the next message, deliver it"),
    (
        "Shift+Enter / X",
        "deliver a copy (keep it waiting) / drop it",
    ),
    ("1-9 then F", "fire that node's timer"),
    ("G", "let the network run, or hold it again"),
];

/// `network_player`: whether the round on screen is a network player's, whose clicks on
/// messages deliver rather than drop.
pub(super) fn show(ui: &mut egui::Ui, sheet: CheatSheet, network_player: bool) {
    egui::CollapsingHeader::new(RichText::new("Cheat sheet").strong())
        .default_open(true)
        .show(ui, |ui| {
            if let Some(intro) = sheet.intro {
                ui.label(RichText::new(intro).color(MUTED));
            }
            egui::Grid::new("cheat").num_columns(2).show(ui, |ui| {
                for (kind, meaning) in sheet.rows {
                    ui.monospace(*kind);
                    ui.add(egui::Label::new(*meaning).wrap());
                    ui.end_row();
                }
            });
        });
    egui::CollapsingHeader::new(RichText::new("Controls").strong())
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("keys").num_columns(2).show(ui, |ui| {
                let network = network_player.then_some(NETWORK_CONTROLS.as_slice());
                // The network player's click delivers and its Enter delivers: those rows of the
                // attackers' controls do not hold for it.
                let attacks = CONTROLS
                    .iter()
                    .filter(|(keys, _)| !(network_player && *keys == "click a message"))
                    .map(|&(keys, what)| match keys {
                        "R, Enter" if network_player => ("R", what),
                        _ => (keys, what),
                    });
                let network = network.into_iter().flatten().copied();
                for (keys, what) in network.chain(attacks) {
                    ui.monospace(keys);
                    ui.add(egui::Label::new(what).wrap());
                    ui.end_row();
                }
            });
        });
}
