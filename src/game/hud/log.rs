//! The colour-coded event log: the protocol's steps, the player's moves, faults and violations.

use bevy::prelude::*;
use bevy_egui::egui;
use egui::{Color32, RichText};

use super::{BAD, GOLD, MUTED, palette};
use crate::game::sim_step::{CurrentRound, Frame, PublishFrame, RoundStarted};
use crate::game::timeline::Hover;
use crate::view::{LogKind, LogLine, seconds};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<EventLog>().add_systems(
        Update,
        collect_log
            .after(PublishFrame)
            .run_if(resource_exists::<CurrentRound>),
    );
}

/// The most recent lines of the log.
#[derive(Resource, Default)]
pub struct EventLog {
    pub lines: Vec<LogLine>,
}

const LOG_LINES_KEPT: usize = 400;

fn collect_log(
    mut started: MessageReader<RoundStarted>,
    frame: Res<Frame>,
    mut log: ResMut<EventLog>,
) {
    if started.read().count() > 0 || frame.rewound {
        log.lines.clear();
    }
    log.lines.extend(frame.new_log.iter().cloned());
    let excess = log.lines.len().saturating_sub(LOG_LINES_KEPT);
    log.lines.drain(..excess);
}

/// The log; hovering a line shows its moment (and its message) in the diagram, and lines about
/// the message hovered elsewhere are lit.
pub(super) fn show(ui: &mut egui::Ui, log: &EventLog, hover: &mut Hover) {
    ui.label(RichText::new("Events").strong());
    let lit = hover.message();
    let mut hovered = None;
    egui::ScrollArea::vertical()
        .id_salt("log")
        .max_height(220.0)
        .stick_to_bottom(true)
        .show(ui, |ui| {
            for line in &log.lines {
                let colour = match line.kind {
                    LogKind::Violation => BAD,
                    LogKind::Player => GOLD,
                    LogKind::Fault => Color32::from_rgb(255, 150, 90),
                    LogKind::Protocol => line.node.map_or(MUTED, palette),
                };
                let mut text = RichText::new(format!("{:>6}  {}", seconds(line.tick), line.text))
                    .monospace()
                    .size(11.0)
                    .color(colour);
                if lit.is_some() && line.message == lit {
                    text = text.background_color(Color32::from_gray(70));
                }
                if ui.label(text).hovered() {
                    hovered = Some((line.tick, line.message));
                }
            }
        });
    hover.tick = hovered.map(|(tick, _)| tick);
    hover.in_log = hovered.and_then(|(_, message)| message);
}
