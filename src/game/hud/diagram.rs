//! The space-time diagram panel: one lane per node, time flowing right, each message an arrow
//! from its send to its arrival (or a cross where it died), fault intervals and the protocol's
//! milestones on the lanes, the player's moves along the top, and the current moment as a cursor.
//! Scroll zooms, dragging pans, a click moves the round to that moment; hovering an arrow
//! highlights its sprite and log line, and the other way round.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui;
use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Shape, Stroke, pos2, vec2};

use super::{BAD, GOLD, GOOD, LOST, MUTED, palette};
use crate::diagram::{Arrow, Diagram, Fate, MarkKind, SpanKind};
use crate::game::sim_step::{CurrentRound, Frame, PublishFrame, RoundStarted};
use crate::game::timeline::{Hover, Seek};
use crate::round::attack_text;
use crate::sim::{DropReason, Tick};
use crate::view::seconds;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<TimeWindow>().add_systems(
        Update,
        follow_the_trace
            .after(PublishFrame)
            .run_if(resource_exists::<CurrentRound>),
    );
}

/// The diagram of the current round, kept up to date from the trace.
#[derive(Resource)]
pub struct DiagramModel(pub Diagram);

/// The stretch of time the panel shows.
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct TimeWindow {
    /// Ticks across the panel.
    pub span: f64,
    /// The first tick shown, when not following the present.
    pub start: f64,
    /// Keep the present moment near the right edge.
    pub follow: bool,
}

/// A second and a half across: about twenty Paxos message hops, readable at 1280 pixels.
const DEFAULT_SPAN: f64 = 1_500.0;
const MIN_SPAN: f64 = 40.0;

impl Default for TimeWindow {
    fn default() -> Self {
        TimeWindow {
            span: DEFAULT_SPAN,
            start: 0.0,
            follow: true,
        }
    }
}

fn follow_the_trace(
    mut commands: Commands,
    mut started: MessageReader<RoundStarted>,
    current: Res<CurrentRound>,
    frame: Res<Frame>,
    model: Option<ResMut<DiagramModel>>,
    mut window: ResMut<TimeWindow>,
) {
    let round = &current.round;
    let new_round = started.read().count() > 0;
    let entries = round
        .simulation
        .engine()
        .diagram_entries(&round.setup, frame.new_trace.start);
    match model {
        Some(mut model) if !new_round && !frame.rewound => {
            model.0.extend(entries, frame.new_trace.end);
        }
        _ => {
            if new_round {
                *window = TimeWindow::default();
            }
            let mut diagram = round.setup.empty_diagram();
            diagram.extend(entries, frame.new_trace.end);
            commands.insert_resource(DiagramModel(diagram));
        }
    }
}

#[derive(SystemParam)]
pub(super) struct DiagramPanel<'w> {
    current: Res<'w, CurrentRound>,
    frame: Res<'w, Frame>,
    model: Option<Res<'w, DiagramModel>>,
    window: ResMut<'w, TimeWindow>,
    pub hover: ResMut<'w, Hover>,
}

/// Where things go in the panel.
struct Geometry {
    plot: Rect,
    t0: f64,
    span: f64,
    lane_height: f32,
}

impl Geometry {
    fn x(&self, tick: f64) -> f32 {
        self.plot.left() + ((tick - self.t0) / self.span) as f32 * self.plot.width()
    }
    fn y(&self, lane: usize) -> f32 {
        self.plot.top() + (lane as f32 + 0.5) * self.lane_height
    }
    fn tick_at(&self, x: f32) -> f64 {
        self.t0 + f64::from((x - self.plot.left()) / self.plot.width()) * self.span
    }
    /// Start and head of an arrow as drawn at `now`.
    fn arrow_ends(&self, arrow: &Arrow, now: Tick) -> (Pos2, Pos2) {
        let (end, fraction) = arrow.head(now);
        let (from, to) = (self.y(arrow.from), self.y(arrow.to));
        (
            pos2(self.x(arrow.sent as f64), from),
            pos2(self.x(end as f64), from + (to - from) * fraction),
        )
    }
}

const GUTTER: f32 = 62.0;
const AXIS: f32 = 16.0;
const MOVES_ROW: f32 = 12.0;

pub(super) fn show(ui: &mut egui::Ui, panel: &mut DiagramPanel, seeks: &mut MessageWriter<Seek>) {
    let Some(model) = panel.model.as_deref() else {
        return;
    };
    let diagram = &model.0;
    let round = &panel.current.round;
    let now = panel.frame.now;
    let now_tick = round.now();
    let frontier = round.frontier().max(now_tick);
    let window = &mut *panel.window;

    ui.horizontal(|ui| {
        ui.label(egui::RichText::new("Space-time diagram").strong());
        ui.label(
            egui::RichText::new("scroll: zoom  drag: pan  click: go to that moment  T: hide")
                .small()
                .color(MUTED),
        );
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .selectable_label(window.follow, "follow")
                .on_hover_text("keep the present moment in view")
                .clicked()
            {
                window.follow = !window.follow;
            }
            if ui.button("whole round").clicked() {
                window.follow = false;
                window.start = 0.0;
                window.span = (frontier as f64 * 1.02).max(DEFAULT_SPAN / 3.0);
            }
            if ui.button("+").on_hover_text("zoom in").clicked() {
                window.span = (window.span / 1.5).max(MIN_SPAN);
            }
            if ui.button("-").on_hover_text("zoom out").clicked() {
                window.span *= 1.5;
            }
        });
    });

    let (response, painter) = ui.allocate_painter(ui.available_size(), Sense::click_and_drag());
    let rect = response.rect;
    let plot = Rect::from_min_max(
        pos2(rect.left() + GUTTER, rect.top() + MOVES_ROW),
        pos2(rect.right() - 8.0, rect.bottom() - AXIS),
    );
    if plot.height() < 10.0 || plot.width() < 40.0 {
        return;
    }
    painter.rect_filled(rect, 2.0, Color32::from_rgb(16, 18, 22));

    // Zoom around the pointer, pan by dragging, jump by clicking.
    let max_span = (frontier as f64 * 1.5).max(DEFAULT_SPAN);
    if window.follow {
        window.start = (now - window.span * 0.85).max(0.0);
    }
    if let Some(pointer) = response.hover_pos() {
        let (scroll, pinch) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let factor = f64::from((-scroll / 150.0).exp() / pinch);
        if (factor - 1.0).abs() > 1e-3 {
            let at =
                window.start + f64::from((pointer.x - plot.left()) / plot.width()) * window.span;
            let span = (window.span * factor).clamp(MIN_SPAN, max_span);
            window.start = (at - (at - window.start) * span / window.span).max(0.0);
            window.span = span;
        }
    }
    if response.dragged() {
        let delta = f64::from(response.drag_delta().x / plot.width()) * window.span;
        window.start = (window.start - delta).max(0.0);
        window.follow = false;
    }
    if response.double_clicked() {
        window.follow = true;
    }
    let geometry = Geometry {
        plot,
        t0: window.start,
        span: window.span,
        lane_height: plot.height() / diagram.lanes.max(1) as f32,
    };
    if response.clicked()
        && let Some(pointer) = response.interact_pointer_pos()
    {
        let tick = geometry
            .tick_at(pointer.x)
            .round()
            .clamp(0.0, frontier as f64);
        seeks.write(Seek(tick as Tick));
    }

    draw_lanes(&painter, &geometry, &panel.frame, diagram, now_tick);
    let pointer = response
        .hover_pos()
        .filter(|p| plot.expand(4.0).contains(*p));
    let mut tooltip: Option<String> = None;
    let hovered_arrow = pointer.and_then(|p| nearest_arrow(&geometry, diagram, now_tick, p));
    panel.hover.in_diagram = hovered_arrow.map(|a| a.id);
    let highlighted = panel.hover.message();
    draw_arrows(&painter, &geometry, diagram, now_tick, highlighted);
    if let Some(arrow) = hovered_arrow {
        tooltip = Some(arrow_text(arrow, &panel.frame));
    }
    if let Some(text) = draw_marks(&painter, &geometry, diagram, &panel.frame, pointer) {
        tooltip.get_or_insert(text);
    }
    if let Some(text) = draw_moves(&painter, &geometry, round, rect, pointer) {
        tooltip.get_or_insert(text);
    }
    if let Some(text) = span_under(&geometry, diagram, now_tick, &panel.frame, pointer) {
        tooltip.get_or_insert(text);
    }
    draw_time(&painter, &geometry, rect, now, frontier, panel.hover.tick);
    if let Some(text) = tooltip {
        response.on_hover_text_at_pointer(text);
    }
}

fn node_name(frame: &Frame, node: usize) -> String {
    frame
        .nodes
        .get(node)
        .map_or_else(|| format!("node {node}"), |n| n.title.clone())
}

fn lane_colour(frame: &Frame, node: usize) -> Color32 {
    let view = frame.nodes.get(node);
    let colour = palette(view.map_or(node, |n| n.colour));
    if view.is_some_and(|n| n.light) {
        colour.gamma_multiply(0.7)
    } else {
        colour
    }
}

/// Lane lines with their names, and the fault intervals on them.
fn draw_lanes(painter: &egui::Painter, g: &Geometry, frame: &Frame, diagram: &Diagram, now: Tick) {
    let font = FontId::proportional((g.lane_height * 0.62).clamp(8.0, 13.0));
    for lane in 0..diagram.lanes {
        let y = g.y(lane);
        let colour = lane_colour(frame, lane);
        painter.line_segment(
            [pos2(g.plot.left(), y), pos2(g.plot.right(), y)],
            Stroke::new(1.0, colour.gamma_multiply(0.35)),
        );
        let name = frame
            .nodes
            .get(lane)
            .map_or_else(|| lane.to_string(), |n| n.title.clone());
        painter.text(
            pos2(g.plot.left() - 6.0, y),
            Align2::RIGHT_CENTER,
            name,
            font.clone(),
            colour,
        );
    }
    let half = (g.lane_height * 0.32).max(2.0);
    for span in &diagram.spans {
        let until = span.until.unwrap_or(now).min(now);
        if until < span.from {
            continue;
        }
        let (x0, x1) = (
            g.x(span.from as f64).max(g.plot.left()),
            g.x(until as f64).min(g.plot.right()),
        );
        if x1 < g.plot.left() || x0 > g.plot.right() {
            continue;
        }
        let y = g.y(span.node);
        match &span.kind {
            SpanKind::Down => {
                let band = Rect::from_min_max(pos2(x0, y - half), pos2(x1.max(x0 + 1.0), y + half));
                painter.rect_filled(band, 1.0, Color32::from_rgba_unmultiplied(90, 90, 100, 150));
                if band.width() > 34.0 {
                    painter.text(
                        band.left_center() + vec2(3.0, 0.0),
                        Align2::LEFT_CENTER,
                        "DOWN",
                        FontId::proportional(9.0),
                        Color32::from_gray(225),
                    );
                }
            }
            SpanKind::Slow(_) => {
                let band = Rect::from_min_max(pos2(x0, y + 1.0), pos2(x1.max(x0 + 1.0), y + 4.0));
                painter.rect_filled(band, 0.0, GOLD.gamma_multiply(0.8));
            }
            SpanKind::CutOff(_) => {
                let y = y - half - 1.0;
                painter.extend(Shape::dashed_line(
                    &[pos2(x0, y), pos2(x1.max(x0 + 1.0), y)],
                    Stroke::new(1.5, BAD.gamma_multiply(0.8)),
                    5.0,
                    3.0,
                ));
            }
        }
    }
}

/// The arrow nearest the pointer, if one is within a few pixels.
fn nearest_arrow<'d>(
    g: &Geometry,
    diagram: &'d Diagram,
    now: Tick,
    pointer: Pos2,
) -> Option<&'d Arrow> {
    visible_arrows(g, diagram, now)
        .map(|arrow| {
            let (a, b) = g.arrow_ends(arrow, now);
            (distance_to_segment(pointer, a, b), arrow)
        })
        .filter(|(d, _)| *d <= 5.0)
        .min_by(|x, y| x.0.total_cmp(&y.0))
        .map(|(_, arrow)| arrow)
}

fn visible_arrows<'d>(
    g: &Geometry,
    diagram: &'d Diagram,
    now: Tick,
) -> impl Iterator<Item = &'d Arrow> {
    let (t0, t1) = (g.t0, g.t0 + g.span);
    diagram.arrows.iter().filter(move |arrow| {
        let end = arrow.head(now).0 as f64;
        arrow.started_by(now) && (arrow.sent as f64) <= t1 && end >= t0
    })
}

fn distance_to_segment(p: Pos2, a: Pos2, b: Pos2) -> f32 {
    let ab = b - a;
    let t = if ab.length_sq() > 0.0 {
        ((p - a).dot(ab) / ab.length_sq()).clamp(0.0, 1.0)
    } else {
        0.0
    };
    p.distance(a + ab * t)
}

fn draw_arrows(
    painter: &egui::Painter,
    g: &Geometry,
    diagram: &Diagram,
    now: Tick,
    highlighted: Option<u64>,
) {
    let painter = painter.with_clip_rect(g.plot.expand(2.0));
    let visible: Vec<&Arrow> = visible_arrows(g, diagram, now).collect();
    // Labels only where they fit: a few dozen arrows, each long enough to hold one.
    let labelled = visible.len() <= 80;
    let mut labels: Vec<Rect> = Vec::new();
    for arrow in visible {
        let (a, b) = g.arrow_ends(arrow, now);
        let lit = highlighted == Some(arrow.id);
        let colour = palette(arrow.look.colour);
        let width = if lit { 3.5 } else { 1.4 };
        if lit {
            painter.line_segment([a, b], Stroke::new(6.5, Color32::WHITE));
        }
        let stroke = Stroke::new(width, colour);
        if arrow.copy_of.is_some() {
            painter.extend(Shape::dashed_line(&[a, b], stroke, 4.0, 3.0));
        } else {
            painter.line_segment([a, b], stroke);
        }
        match arrow.fate {
            Fate::Delivered(_) => arrow_head(&painter, a, b, stroke),
            Fate::Lost(..) => cross(&painter, b, LOST),
            Fate::InFlight => {
                painter.circle_filled(b, if lit { 4.5 } else { 2.5 }, colour);
            }
        }
        if labelled && (b - a).length() > 70.0 {
            // Near the start, so a request and its reply are labelled apart; never over another.
            let galley =
                painter.layout_no_wrap(arrow.look.label.clone(), FontId::proportional(9.5), colour);
            let at = a + (b - a) * 0.3 + vec2(0.0, -2.0);
            let rect = Align2::CENTER_BOTTOM.anchor_size(at, galley.size());
            if !labels.iter().any(|placed| placed.intersects(rect)) {
                painter.galley(rect.min, galley, colour);
                labels.push(rect);
            }
        }
    }
}

fn arrow_head(painter: &egui::Painter, from: Pos2, to: Pos2, stroke: Stroke) {
    let direction = (to - from).normalized();
    if !direction.x.is_finite() {
        return;
    }
    let back = -direction * 6.0;
    let side = vec2(-direction.y, direction.x) * 3.0;
    painter.line_segment([to, to + back + side], stroke);
    painter.line_segment([to, to + back - side], stroke);
}

/// A lost message's cross (the marks legend draws the same).
pub(super) fn cross(painter: &egui::Painter, at: Pos2, colour: Color32) {
    let stroke = Stroke::new(2.0, colour);
    let d = 4.0;
    painter.line_segment([at + vec2(-d, -d), at + vec2(d, d)], stroke);
    painter.line_segment([at + vec2(-d, d), at + vec2(d, -d)], stroke);
}

fn arrow_text(arrow: &Arrow, frame: &Frame) -> String {
    let copy = if arrow.copy_of.is_some() {
        " (a copy the network made)"
    } else {
        ""
    };
    let fate = match arrow.fate {
        Fate::InFlight => format!("in flight, due at {}", seconds(arrow.arrives)),
        Fate::Delivered(at) => format!("delivered at {}", seconds(at)),
        Fate::Lost(at, reason) => {
            let why = match reason {
                DropReason::LinkCut => "the link was cut",
                DropReason::ReceiverDown => "the receiver was down",
                DropReason::Player => "dropped by you",
                DropReason::Lost => "the network lost it",
            };
            format!("lost at {}: {why}", seconds(at))
        }
    };
    format!(
        "{}{copy}\n{} -> {}\nsent at {}, {fate}",
        arrow.look.label,
        node_name(frame, arrow.from),
        node_name(frame, arrow.to),
        seconds(arrow.sent)
    )
}

/// Milestones on the lanes; returns the text of the one under the pointer.
fn draw_marks(
    painter: &egui::Painter,
    g: &Geometry,
    diagram: &Diagram,
    frame: &Frame,
    pointer: Option<Pos2>,
) -> Option<String> {
    let painter = painter.with_clip_rect(g.plot.expand(6.0));
    let mut under = None;
    let mut labels: Vec<Rect> = Vec::new();
    let (t0, t1) = (g.t0, g.t0 + g.span);
    for mark in &diagram.marks {
        let t = mark.tick as f64;
        if t < t0 || t > t1 {
            continue;
        }
        let x = g.x(t);
        let at = match mark.node {
            Some(node) => pos2(x, g.y(node)),
            None => pos2(x, g.plot.top()),
        };
        let lane = mark.node.map(|n| lane_colour(frame, n));
        let outline = Stroke::new(1.0, Color32::BLACK);
        match mark.kind {
            MarkKind::Ballot => {
                let r = 5.0;
                let diamond = vec![
                    at + vec2(0.0, -r),
                    at + vec2(r, 0.0),
                    at + vec2(0.0, r),
                    at + vec2(-r, 0.0),
                ];
                painter.add(Shape::convex_polygon(diamond, GOLD, outline));
            }
            MarkKind::Promise => {
                painter.circle_stroke(at, 3.5, Stroke::new(1.5, lane.unwrap_or(MUTED)));
            }
            MarkKind::Accept => {
                painter.rect_filled(
                    Rect::from_center_size(at, vec2(5.0, 5.0)),
                    0.0,
                    lane.unwrap_or(MUTED),
                );
            }
            MarkKind::Decide => {
                painter.circle(at, 5.5, GOOD, Stroke::new(1.5, Color32::WHITE));
            }
            MarkKind::Value(value) => {
                painter.line_segment(
                    [at + vec2(0.0, -4.0), at + vec2(0.0, 4.0)],
                    Stroke::new(1.5, Color32::WHITE),
                );
                let colour = Color32::from_gray(220);
                let galley =
                    painter.layout_no_wrap(value.to_string(), FontId::proportional(9.0), colour);
                let rect = Align2::LEFT_BOTTOM.anchor_size(at + vec2(2.0, -3.0), galley.size());
                if !labels.iter().any(|placed| placed.intersects(rect)) {
                    painter.galley(rect.min, galley, colour);
                    labels.push(rect);
                }
            }
            MarkKind::Done => {
                painter.rect_filled(
                    Rect::from_center_size(at, vec2(4.0, 8.0)),
                    0.0,
                    Color32::from_gray(200),
                );
            }
            MarkKind::Converged | MarkKind::Violation => {
                let colour = if mark.kind == MarkKind::Violation {
                    BAD
                } else {
                    GOOD.gamma_multiply(0.8)
                };
                painter.extend(Shape::dashed_line(
                    &[pos2(x, g.plot.top()), pos2(x, g.plot.bottom())],
                    Stroke::new(1.5, colour),
                    4.0,
                    3.0,
                ));
            }
        }
        if let Some(p) = pointer {
            let near = match mark.node {
                Some(_) => p.distance(at) <= 6.0,
                None => (p.x - x).abs() <= 3.0,
            };
            if near {
                let who = mark
                    .node
                    .map_or(String::new(), |n| node_name(frame, n) + " ");
                under = Some(format!("{}  {who}{}", seconds(mark.tick), mark.text));
            }
        }
    }
    under
}

/// The player's moves along the top: filled when played, hollow when still to come (a replay,
/// or the later moves kept after a rewind).
fn draw_moves(
    painter: &egui::Painter,
    g: &Geometry,
    round: &crate::round::Round,
    rect: Rect,
    pointer: Option<Pos2>,
) -> Option<String> {
    let mut under = None;
    let played = round.moves.len();
    let y = rect.top() + MOVES_ROW * 0.5;
    for (index, planned) in round.line().iter().enumerate() {
        let x = g.x(planned.tick as f64);
        if x < g.plot.left() - 4.0 || x > g.plot.right() + 4.0 {
            continue;
        }
        let triangle = vec![
            pos2(x - 5.0, y - 4.0),
            pos2(x + 5.0, y - 4.0),
            pos2(x, y + 5.0),
        ];
        let shape = if index < played {
            Shape::convex_polygon(triangle, GOLD, Stroke::NONE)
        } else {
            Shape::closed_line(triangle, Stroke::new(1.2, GOLD))
        };
        painter.add(shape);
        if pointer.is_some_and(|p| p.distance(pos2(x, y)) <= 7.0) {
            let when = if index < played { "" } else { " (to come)" };
            under = Some(format!(
                "{}  your move{when}: {}",
                seconds(planned.tick),
                attack_text(&planned.attack, &round.setup)
            ));
        }
    }
    under
}

/// The fault interval under the pointer, in words.
fn span_under(
    g: &Geometry,
    diagram: &Diagram,
    now: Tick,
    frame: &Frame,
    pointer: Option<Pos2>,
) -> Option<String> {
    let p = pointer?;
    let tick = g.tick_at(p.x);
    let lane = ((p.y - g.plot.top()) / g.lane_height).floor();
    if lane < 0.0 || lane as usize >= diagram.lanes {
        return None;
    }
    let lane = lane as usize;
    let texts: Vec<String> = diagram
        .spans
        .iter()
        .filter(|s| {
            s.node == lane
                && (s.from as f64) <= tick
                && s.until.unwrap_or(now) as f64 >= tick
                && tick <= now as f64
        })
        .map(|s| match &s.kind {
            SpanKind::Down => "down".to_string(),
            SpanKind::Slow(factor) => format!("slowed x{factor}"),
            SpanKind::CutOff(others) => {
                let names: Vec<String> = others.iter().map(|n| node_name(frame, *n)).collect();
                format!("cut off from {}", names.join(", "))
            }
        })
        .collect();
    (!texts.is_empty()).then(|| format!("{}: {}", node_name(frame, lane), texts.join("; ")))
}

/// The time axis, the present moment, how far the round has gone, and the moment hovered in
/// the log.
fn draw_time(
    painter: &egui::Painter,
    g: &Geometry,
    rect: Rect,
    now: f64,
    frontier: Tick,
    hovered: Option<Tick>,
) {
    let step = [
        10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0, 20_000.0,
        50_000.0,
    ]
    .into_iter()
    .find(|step| f64::from(g.plot.width()) / (g.span / step) >= 70.0)
    .unwrap_or(100_000.0);
    let mut t = (g.t0 / step).ceil() * step;
    while t <= g.t0 + g.span {
        let x = g.x(t);
        painter.line_segment(
            [pos2(x, g.plot.bottom()), pos2(x, g.plot.bottom() + 3.0)],
            Stroke::new(1.0, MUTED),
        );
        painter.text(
            pos2(x, rect.bottom() - 1.0),
            Align2::CENTER_BOTTOM,
            seconds(t as Tick),
            FontId::proportional(9.5),
            MUTED,
        );
        t += step;
    }
    let painter = painter.with_clip_rect(g.plot.expand(1.0));
    // Past the present, up to where the round had gone: the later line, kept after a rewind.
    if (frontier as f64) > now {
        let ahead = Rect::from_min_max(
            pos2(g.x(now), g.plot.top()),
            pos2(g.x(frontier as f64), g.plot.bottom()),
        );
        painter.rect_filled(
            ahead,
            0.0,
            Color32::from_rgba_unmultiplied(255, 255, 255, 24),
        );
    }
    if let Some(tick) = hovered {
        let x = g.x(tick as f64);
        painter.extend(Shape::dashed_line(
            &[pos2(x, g.plot.top()), pos2(x, g.plot.bottom())],
            Stroke::new(1.0, GOLD),
            3.0,
            3.0,
        ));
    }
    let x = g.x(now);
    painter.line_segment(
        [pos2(x, g.plot.top()), pos2(x, g.plot.bottom())],
        Stroke::new(1.5, Color32::WHITE),
    );
}
