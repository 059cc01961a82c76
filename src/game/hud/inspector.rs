//! The side panel's first section: the selected node (its state and the attacks on it) and the
//! attacks on the whole cluster.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui;
use egui::RichText;

use super::{GOLD, MUTED, palette};
use crate::game::nodes::Selection;
use crate::game::sim_step::{CurrentRound, Frame, PlayerAttack};
use crate::round::Attack;
use crate::view::badge;

#[derive(SystemParam)]
pub(super) struct Inspector<'w> {
    current: Res<'w, CurrentRound>,
    frame: Res<'w, Frame>,
    /// The network panel marks the message the network player picked.
    pub(super) selection: ResMut<'w, Selection>,
    /// The play screen's one writer of moves: the network panel writes through it too.
    pub(super) attacks: MessageWriter<'w, PlayerAttack>,
}

pub(super) fn show(ui: &mut egui::Ui, inspector: &mut Inspector) {
    selected_node(ui, inspector);
    cluster_actions(ui, inspector);
}

fn selected_node(ui: &mut egui::Ui, inspector: &mut Inspector) {
    let round = &inspector.current.round;
    let Some(node) = inspector
        .selection
        .node
        .and_then(|n| inspector.frame.nodes.get(n))
    else {
        ui.label(RichText::new("Click a node or press its number to select it.").color(MUTED));
        return;
    };
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!("{} ({})", node.title, node.mark))
                .strong()
                .color(palette(node.colour)),
        );
        if ui
            .small_button("x")
            .on_hover_text("deselect (Esc)")
            .clicked()
        {
            inspector.selection.node = None;
        }
    });
    // The buttons before the state: lines below them come and go as the node changes, and a
    // button that moves between press and release is not clicked.
    if round.outcome.is_none() && round.setup.is_target(node.id) {
        let (id, down, slowed) = (node.id, node.down, node.slow > 1);
        let attacks = &mut inspector.attacks;
        ui.horizontal_wrapped(|ui| {
            if ui
                .button(if down { "recover (K)" } else { "kill (K)" })
                .clicked()
            {
                attacks.write(PlayerAttack(Attack::ToggleDown(id)));
            }
            if ui
                .button(if slowed { "unslow (S)" } else { "slow (S)" })
                .clicked()
            {
                attacks.write(PlayerAttack(Attack::Slow(id, !slowed)));
            }
            if ui.button("isolate (I)").clicked() {
                attacks.write(PlayerAttack(Attack::Isolate(id)));
            }
            if ui.button("drop next (D)").clicked() {
                attacks.write(PlayerAttack(Attack::DropNext(id)));
            }
            if ui
                .button("duplicate next (U)")
                .on_hover_text("its next message arrives twice, the copy a hop later")
                .clicked()
            {
                attacks.write(PlayerAttack(Attack::DuplicateNext(id)));
            }
        });
    }
    if round.outcome.is_none() && node.takes_commands {
        let (id, down) = (node.id, node.down);
        let submit = ui
            .add_enabled(!down, egui::Button::new("submit a command"))
            .on_hover_text(
                "as a client would: a leader logs it and copies it to the others; any other \
                 server refuses it and names the leader it knows (1 point)",
            )
            .on_disabled_hover_text("a server that is down takes no commands");
        if submit.clicked() {
            inspector.attacks.write(PlayerAttack(Attack::Submit(id)));
        }
    }
    let badge = badge(node);
    if !badge.is_empty() {
        ui.label(RichText::new(badge).color(GOLD));
    }
    if let Some(value) = node.value {
        ui.label(format!("value {value}"));
    }
    for line in node.status.iter().filter(|l| !l.is_empty()) {
        ui.monospace(line);
    }
    for (what, value) in &node.inspector {
        ui.monospace(format!("{what}: {value}"));
    }
    // The network player's view of the node: what waits for it, in the order sent.
    if let Some(choices) = round.network_choices() {
        let incoming: Vec<String> = choices
            .messages
            .iter()
            .filter(|message| message.to == node.id)
            .map(|message| format!("#{} {}", message.id, message.label))
            .collect();
        if !incoming.is_empty() {
            ui.monospace(format!("waiting for it: {}", incoming.join(", ")));
        }
    }
}

/// Attacks on the whole cluster rather than one node.
fn cluster_actions(ui: &mut egui::Ui, inspector: &mut Inspector) {
    let round = &inspector.current.round;
    if round.outcome.is_some() {
        return;
    }
    let attacks = &mut inspector.attacks;
    ui.horizontal_wrapped(|ui| {
        if ui.button("heal network (H)").clicked() {
            attacks.write(PlayerAttack(Attack::HealAll));
        }
        if let Some(paused) = round.simulation.engine().clients_paused() {
            let label = if paused {
                "resume clients (P)"
            } else {
                "pause clients (P)"
            };
            if ui
                .button(label)
                .on_hover_text("only server syncs run while clients are paused")
                .clicked()
            {
                attacks.write(PlayerAttack(Attack::PauseClients(!paused)));
            }
        }
    });
}
