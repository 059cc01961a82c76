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
    for v in round.simulation.engine().violations().iter().take(3) {
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
    log_legend(ui, &live.frame);
    quorum_legend(ui, &live.frame.quorums);
}

/// What the log rows, the timer rings and the light messages mean, when there are any: each
/// term's colour (those on the cluster now), solid and hollow boxes.
fn log_legend(ui: &mut egui::Ui, frame: &Frame) {
    let top = frame
        .nodes
        .iter()
        .flat_map(|n| &n.log)
        .map(|e| e.term)
        .max();
    let timers = frame.nodes.iter().any(|n| n.timer.is_some());
    if top.is_none() && !timers {
        return;
    }
    ui.add_space(4.0);
    ui.label(RichText::new("Logs").strong());
    let square = |ui: &mut egui::Ui, colour: Color32, solid: bool| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
        let rect = rect.shrink(1.0);
        if solid {
            ui.painter().rect_filled(rect, 0.0, colour);
        } else {
            let stroke = egui::Stroke::new(2.0, colour);
            ui.painter()
                .rect_stroke(rect.shrink(1.0), 0.0, stroke, egui::StrokeKind::Middle);
        }
    };
    let muted = |text: &str| RichText::new(text).small().color(MUTED);
    if let Some(top) = top {
        // The latest terms, as many as have a colour of their own.
        let first = top
            .saturating_sub(crate::view::TERM_COLOURS.len() as u64 - 1)
            .max(1);
        ui.horizontal_wrapped(|ui| {
            ui.label(muted("one box per entry, in its term's colour:"));
            for term in first..=top {
                let [r, g, b] = crate::view::term_colour(term);
                square(ui, Color32::from_rgb(r, g, b), true);
                ui.label(muted(&term.to_string()));
            }
        });
        ui.horizontal_wrapped(|ui| {
            let grey = Color32::from_gray(200);
            square(ui, grey, true);
            ui.label(muted("committed"));
            square(ui, grey, false);
            ui.label(muted("not yet; \"+N\": N older entries"));
        });
    }
    if timers {
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(16.0, 14.0), egui::Sense::hover());
            let (at, radius) = (rect.center(), 5.5);
            let points: Vec<egui::Pos2> = (0..=12)
                .map(|i| {
                    // Two thirds of a turn, clockwise from the top, as the ring draws it.
                    let angle = -std::f32::consts::FRAC_PI_2
                        + i as f32 / 12.0 * std::f32::consts::TAU * 2.0 / 3.0;
                    at + radius * egui::vec2(angle.cos(), angle.sin())
                })
                .collect();
            let stroke = egui::Stroke::new(2.0, Color32::from_gray(200));
            ui.painter().add(egui::Shape::line(points, stroke));
            ui.add(
                egui::Label::new(muted(
                    "arc inside a node: the time left before its timer fires (an election)",
                ))
                .wrap(),
            );
        });
    }
    if frame.messages.iter().any(|m| m.look.light) {
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(16.0, 14.0), egui::Sense::hover());
            let faint = Color32::from_rgba_unmultiplied(200, 200, 200, 120);
            ui.painter().circle_filled(rect.center(), 3.0, faint);
            ui.label(muted(
                "small, faint: routine messages (heartbeats and their acks)",
            ));
        });
    }
}

/// What the outlines around the nodes mean, when there are any.
fn quorum_legend(ui: &mut egui::Ui, quorums: &Quorums) {
    if quorums.legend.is_empty() {
        return;
    }
    ui.add_space(4.0);
    ui.label(RichText::new("Majorities").strong());
    marks_legend(ui, quorums);
    for line in &quorums.legend {
        ui.add(egui::Label::new(RichText::new(line).color(MUTED)).wrap());
    }
}

/// A mark drawn on the cluster, as the legend draws it.
enum Mark {
    Ring(Color32),
    Dashed,
    Star,
    Cross,
}

/// One line per mark on the cluster now: what each outline and sign means.
fn marks_legend(ui: &mut egui::Ui, quorums: &Quorums) {
    use crate::view::QuorumKind;
    let has = |kind| quorums.outlines.iter().any(|o| o.kind == kind);
    let mut rows = vec![(
        Mark::Ring(GOLD),
        "gold ring: a leader (of a ballot, or of a term)",
    )];
    if has(QuorumKind::Accepted) {
        rows.push((
            Mark::Ring(Color32::from_gray(190)),
            "solid outline: the majority that accepted what was chosen or committed",
        ));
    }
    if has(QuorumKind::Promised) {
        rows.push((
            Mark::Dashed,
            "dashed outline: the majority behind the latest leader (promises or votes)",
        ));
    }
    if !quorums.overlap.is_empty() {
        rows.push((Mark::Star, "star, \"in both\": in both majorities"));
    }
    rows.push((Mark::Cross, "grey cross: a lost message"));
    for (mark, words) in rows {
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(16.0, 14.0), egui::Sense::hover());
            draw_mark(ui.painter(), rect.center(), &mark);
            ui.add(egui::Label::new(RichText::new(words).small().color(MUTED)).wrap());
        });
    }
}

fn draw_mark(painter: &egui::Painter, at: egui::Pos2, mark: &Mark) {
    let radius = 5.5;
    match mark {
        Mark::Ring(colour) => {
            painter.circle_stroke(at, radius, egui::Stroke::new(1.5, *colour));
        }
        Mark::Dashed => {
            let colour = Color32::from_gray(190);
            for dash in 0..8 {
                let start = dash as f32 / 8.0 * std::f32::consts::TAU;
                let points: Vec<egui::Pos2> = (0..4)
                    .map(|i| {
                        let angle = start + i as f32 / 3.0 * 0.6 * std::f32::consts::TAU / 8.0;
                        at + radius * egui::vec2(angle.cos(), angle.sin())
                    })
                    .collect();
                painter.add(egui::Shape::line(points, egui::Stroke::new(1.5, colour)));
            }
        }
        Mark::Star => {
            let points: Vec<egui::Pos2> = (0..10)
                .map(|i| {
                    let angle =
                        -std::f32::consts::FRAC_PI_2 + i as f32 * std::f32::consts::PI / 5.0;
                    let r = if i % 2 == 0 {
                        radius + 1.0
                    } else {
                        radius * 0.45
                    };
                    at + r * egui::vec2(angle.cos(), angle.sin())
                })
                .collect();
            painter.add(egui::Shape::closed_line(
                points,
                egui::Stroke::new(1.5, Color32::WHITE),
            ));
        }
        Mark::Cross => super::diagram::cross(painter, at, super::LOST),
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
