//! The live checks: the protocol's safety and convergence checks as the core evaluates them at
//! every step, the violations caught, and a plot of the protocol's gauge (the counter's spread).

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui;
use egui::{Color32, RichText};

use super::{BAD, GOLD, MUTED, check_line};
use crate::game::sim_step::{CurrentRound, Frame, PublishFrame, RoundStarted};
use crate::sim::Tick;
use crate::view::{Quorums, seconds};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<GaugeHistory>().add_systems(
        Update,
        sample_gauge
            .after(PublishFrame)
            .run_if(resource_exists::<CurrentRound>),
    );
}

/// The gauge over time, for the plot.
#[derive(Resource, Default)]
pub struct GaugeHistory {
    pub samples: Vec<(Tick, u64)>,
}

/// Ticks between two samples of the gauge.
const SAMPLE_EVERY: Tick = 20;

fn sample_gauge(
    mut started: MessageReader<RoundStarted>,
    current: Res<CurrentRound>,
    frame: Res<Frame>,
    mut history: ResMut<GaugeHistory>,
) {
    if started.read().count() > 0 {
        history.samples.clear();
    }
    // After a rewind the plot keeps what it sampled before that moment.
    if frame.rewound {
        let now = current.round.now();
        history.samples.retain(|(tick, _)| *tick <= now);
    }
    let Some((_, value)) = frame.checks.as_ref().and_then(|c| c.gauge) else {
        return;
    };
    let now = current.round.now();
    if history
        .samples
        .last()
        .is_none_or(|(t, _)| now >= t + SAMPLE_EVERY)
    {
        history.samples.push((now, value));
    }
}

#[derive(SystemParam)]
pub(super) struct LiveChecks<'w> {
    current: Res<'w, CurrentRound>,
    frame: Res<'w, Frame>,
    history: Res<'w, GaugeHistory>,
}

pub(super) fn show(ui: &mut egui::Ui, live: &LiveChecks) {
    let Some(checks) = &live.frame.checks else {
        return;
    };
    ui.label(RichText::new(checks.heading).strong());
    for line in &checks.lines {
        check_line(ui, line);
    }
    if let Some((what, _)) = checks.gauge {
        plot(ui, what, &live.history);
    }
    let round = &live.current.round;
    for v in round.simulation.violations().iter().take(3) {
        ui.colored_label(
            BAD,
            format!("t={} {}: {}", seconds(v.tick), v.kind, v.detail),
        );
    }
    if let Some(broken) = round.setup.broken {
        ui.colored_label(
            BAD,
            format!("This cluster runs a BROKEN protocol: {broken}"),
        );
    }
    quorum_legend(ui, &live.frame.quorums);
}

/// What the outlines around the nodes mean, when there are any.
fn quorum_legend(ui: &mut egui::Ui, quorums: &Quorums) {
    if quorums.legend.is_empty() {
        return;
    }
    ui.add_space(4.0);
    ui.label(RichText::new("Majorities").strong());
    for line in &quorums.legend {
        ui.add(egui::Label::new(RichText::new(line).color(MUTED)).wrap());
    }
}

fn plot(ui: &mut egui::Ui, what: &str, history: &GaugeHistory) {
    ui.label(RichText::new(what).color(MUTED));
    let (response, painter) =
        ui.allocate_painter(egui::vec2(ui.available_width(), 70.0), egui::Sense::hover());
    let rect = response.rect;
    painter.rect_stroke(
        rect,
        2.0,
        egui::Stroke::new(1.0, Color32::from_gray(80)),
        egui::StrokeKind::Inside,
    );
    let (Some(first), Some(last)) = (history.samples.first(), history.samples.last()) else {
        return;
    };
    let top = history
        .samples
        .iter()
        .map(|(_, s)| *s)
        .max()
        .unwrap_or(1)
        .max(1) as f32;
    let span = (last.0 - first.0).max(1) as f32;
    let points: Vec<egui::Pos2> = history
        .samples
        .iter()
        .map(|(t, s)| {
            egui::pos2(
                egui::remap((t - first.0) as f32, 0.0..=span, rect.left()..=rect.right()),
                egui::remap(*s as f32, 0.0..=top, rect.bottom() - 2.0..=rect.top() + 2.0),
            )
        })
        .collect();
    painter.line(points, egui::Stroke::new(1.5, GOLD));
    painter.text(
        rect.left_top() + egui::vec2(4.0, 2.0),
        egui::Align2::LEFT_TOP,
        format!("{}", top as u64),
        egui::FontId::monospace(10.0),
        MUTED,
    );
}
