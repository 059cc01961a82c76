//! Classroom mode's caption: the last protocol step in plain words, large, in a strip under the
//! cluster ("red promised ballot 2.G: it will ignore lower ballots, and told green ...").

use bevy_egui::egui;
use egui::RichText;

use super::MUTED;
use crate::sim::Tick;
use crate::view::seconds;

pub(super) fn show(ui: &mut egui::Ui, caption: Option<&(Tick, String)>) {
    ui.add_space(4.0);
    match caption {
        Some((tick, text)) => {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(format!("t={}", seconds(*tick))).color(MUTED));
                ui.label(RichText::new(text).size(20.0).color(egui::Color32::WHITE));
            });
        }
        None => {
            ui.label(RichText::new("Each protocol step will be told here.").color(MUTED));
        }
    }
    ui.add_space(4.0);
}
