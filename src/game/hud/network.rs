//! The side panel's section for a network player's round (`Setup::network_player`): the
//! messages waiting on their links and the timers that can fire, each with its moves, the "let
//! the network run" toggle, and "can this still break?", the checker's search from this very
//! moment, with the way it finds played one step at a time.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::tasks::futures::check_ready;
use bevy::tasks::{AsyncComputeTaskPool, Task};
use bevy_egui::egui;
use egui::RichText;

use super::{BAD, GOLD, GOOD, MUTED, palette};
use crate::explore::{self, Answer, FromHere};
use crate::game::nodes::Selection;
use crate::game::sim_step::{CurrentRound, Frame, PlayerAttack};
use crate::round::{Attack, Round};
use crate::sim::MsgId;
use crate::view::{NetworkChoices, WaitingMessage};

/// Nodes a "can this still break?" search may crash, besides what already happened: one, as
/// the lessons' "only the network and one crash".
const SEARCH_CRASHES: usize = 1;

/// The checker's last answer, and the moment it answers for: the round and its moves when
/// asked. A move (or a rewind) makes it an answer about another moment; it is then shown
/// as such until asked again.
#[derive(Resource, Default)]
pub struct CheckerAnswer {
    asked_at: Option<(u32, usize)>,
    answer: Option<Result<FromHere, String>>,
    /// How many of the answer's steps the player has played from the panel.
    played: usize,
    /// The search under way, off the frame (natively on another thread), on a snapshot of the
    /// run as it was when asked.
    searching: Option<Task<Result<FromHere, String>>>,
}

#[derive(SystemParam)]
pub(super) struct NetworkPanel<'w> {
    current: Res<'w, CurrentRound>,
    frame: Res<'w, Frame>,
    answer: ResMut<'w, CheckerAnswer>,
}

/// Whether the round on screen is a network player's.
pub(super) fn active(panel: &NetworkPanel) -> bool {
    panel.current.round.setup.network_player
}

/// Where the round is, as the answer records it: which round, and how many moves made (time
/// moves only with them while the network is held; a rewind takes moves back).
fn moment(number: u32, round: &Round) -> (u32, usize) {
    (number, round.moves.len())
}

/// `attacks`: the play screen's one writer of moves (the inspector's), shared; `selection`
/// says which message the keys act on.
pub(super) fn show(
    ui: &mut egui::Ui,
    panel: &mut NetworkPanel,
    attacks: &mut MessageWriter<PlayerAttack>,
    selection: &Selection,
    large: bool,
) {
    let round = &panel.current.round;
    let Some(choices) = round.network_choices() else {
        return;
    };
    let size = if large { 1.4 } else { 1.0 };
    let text = |words: &str| RichText::new(words).size(14.0 * size);
    ui.label(text("You are the network").strong());
    ui.horizontal_wrapped(|ui| {
        if choices.running {
            ui.label(text("The network runs by itself.").color(GOLD));
            if ui.button("hold it again (G)").clicked() {
                attacks.write(PlayerAttack(Attack::RunNetwork(false)));
            }
        } else {
            ui.label(text("Nothing moves until you do.").color(MUTED));
            if ui
                .button("let the network run (G)")
                .on_hover_text("messages arrive and timers fire by themselves, until you hold it")
                .clicked()
            {
                attacks.write(PlayerAttack(Attack::RunNetwork(true)));
            }
        }
    });
    if !choices.running {
        let picked = selection.picked_message(&choices).map(|m| m.id);
        waiting(ui, &choices, picked, attacks, &panel.frame, size);
    }
    ui.separator();
    checker(ui, panel, attacks, size);
}

/// Each waiting message (by destination, in the order sent) and each timer, with its moves.
fn waiting(
    ui: &mut egui::Ui,
    choices: &NetworkChoices,
    picked: Option<MsgId>,
    attacks: &mut MessageWriter<PlayerAttack>,
    frame: &Frame,
    size: f32,
) {
    let name = |node: usize| {
        frame
            .nodes
            .get(node)
            .map_or(format!("node {node}"), |n| n.title.clone())
    };
    if choices.messages.is_empty() {
        ui.label(RichText::new("No message waits.").color(MUTED));
    }
    let mut destination = None;
    for message in &choices.messages {
        if destination != Some(message.to) {
            destination = Some(message.to);
            ui.label(
                RichText::new(format!("to {}:", name(message.to)))
                    .size(13.0 * size)
                    .color(palette(message.to)),
            );
        }
        let picked = picked == Some(message.id);
        waiting_message(ui, message, &name(message.from), picked, attacks, size);
    }
    if !choices.messages.is_empty() {
        ui.label(
            RichText::new(
                "Keys: N picks the next, Enter delivers it, Shift+Enter a copy, X drops it.",
            )
            .size(12.0 * size)
            .color(MUTED),
        );
    }
    if !choices.timers.is_empty() {
        ui.label(RichText::new("Timers (or select a node and press F):").size(13.0 * size));
        ui.horizontal_wrapped(|ui| {
            for timer in &choices.timers {
                let label = format!("fire {}'s {}", name(timer.node), timer.name.to_lowercase());
                if ui.button(RichText::new(label).size(13.0 * size)).clicked() {
                    attacks.write(PlayerAttack(Attack::Fire(timer.node, timer.timer)));
                }
            }
        });
    }
}

fn waiting_message(
    ui: &mut egui::Ui,
    message: &WaitingMessage,
    from: &str,
    picked: bool,
    attacks: &mut MessageWriter<PlayerAttack>,
    size: f32,
) {
    ui.horizontal_wrapped(|ui| {
        // The buttons first, so they do not move as the words beside them change.
        if ui
            .button(RichText::new("deliver").size(13.0 * size))
            .on_hover_text("or click the message on the cluster")
            .clicked()
        {
            attacks.write(PlayerAttack(Attack::Deliver(message.id)));
        }
        if ui
            .small_button("copy")
            .on_hover_text("deliver a copy and keep this one waiting (one of your copies)")
            .clicked()
        {
            attacks.write(PlayerAttack(Attack::DeliverCopy(message.id)));
        }
        if ui
            .small_button("drop")
            .on_hover_text("lose it (one of your drops)")
            .clicked()
        {
            attacks.write(PlayerAttack(Attack::Drop(message.id)));
        }
        let mut words = format!("#{} {} from {from}", message.id, message.label);
        if message.copy_of.is_some() {
            words += " (a copy)";
        }
        if !message.deliverable {
            words += " - lost if delivered";
        }
        let mut words = RichText::new(words)
            .size(13.0 * size)
            .color(palette(message.from));
        if picked {
            // The one Enter delivers, drawn larger on the cluster too.
            words = words.strong().underline();
        }
        ui.label(words);
    });
}

/// "Can this still break?": asked on the button, answered for the moment it was asked.
fn checker(
    ui: &mut egui::Ui,
    panel: &mut NetworkPanel,
    attacks: &mut MessageWriter<PlayerAttack>,
    size: f32,
) {
    let current = &panel.current;
    let now = moment(current.number, &current.round);
    if ui
        .button(RichText::new("can this still break?").size(14.0 * size))
        .on_hover_text(
            "the checker tries every order of the messages in flight, drops, copies, timers and \
             one crash, from this very moment",
        )
        .clicked()
    {
        panel.answer.searching = Some(ask_off_the_frame(&current.round));
        panel.answer.answer = None;
        panel.answer.asked_at = Some(now);
        panel.answer.played = 0;
    }
    if let Some(search) = panel.answer.searching.as_mut() {
        match check_ready(search) {
            Some(answer) => {
                panel.answer.answer = Some(answer);
                panel.answer.searching = None;
            }
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(
                        RichText::new(format!(
                            "trying every order from here (up to {} states)...",
                            explore::FROM_HERE_MAX_STATES
                        ))
                        .color(MUTED),
                    );
                });
                return;
            }
        }
    }
    let Some(answer) = &panel.answer.answer else {
        return;
    };
    let asked_at = panel.answer.asked_at;
    // Moves played from the answer's own steps keep it current.
    let played = panel.answer.played;
    let current_answer = asked_at
        .is_some_and(|(number, line)| number == now.0 && (line..=line + played).contains(&now.1));
    let found = match answer {
        Err(why) => {
            ui.label(RichText::new(format!("The checker cannot answer here: {why}")).color(BAD));
            return;
        }
        Ok(found) => found,
    };
    if !current_answer {
        ui.label(
            RichText::new(format!(
                "About the moment at tick {}: ask again for now.",
                found.tick
            ))
            .color(MUTED),
        );
    }
    let colour = match found.answer {
        Answer::No => GOOD,
        Answer::Yes | Answer::AlreadyBroken => BAD,
        Answer::Unknown => GOLD,
    };
    ui.label(RichText::new(&found.words).size(13.0 * size).color(colour));
    if found.answer != Answer::Yes || !current_answer {
        return;
    }
    let next = found.steps.get(played);
    let mut now_played = played;
    ui.horizontal_wrapped(|ui| {
        if let Some(step) = next
            && ui.button("play the next step").clicked()
            && let Some(attack) = Attack::of_network_step(&step.action)
        {
            attacks.write(PlayerAttack(attack));
            now_played += 1;
        }
        if next.is_some() && ui.button("play them all").clicked() {
            for step in &found.steps[played..] {
                if let Some(attack) = Attack::of_network_step(&step.action) {
                    attacks.write(PlayerAttack(attack));
                }
            }
            now_played = found.steps.len();
        }
    });
    for (index, step) in found.steps.iter().enumerate() {
        let colour = if index < played {
            MUTED
        } else {
            egui::Color32::WHITE
        };
        ui.label(
            RichText::new(format!("{}. {}", index + 1, step.text))
                .size(12.0 * size)
                .color(colour),
        );
    }
    panel.answer.played = now_played;
}

/// "Can this still break?": the checker's search from the round's present moment, within the
/// network player's bounds (its copies left, [`SEARCH_CRASHES`] crashes).
pub fn ask(round: &Round) -> Result<FromHere, String> {
    ask_about(
        &round.setup,
        round.simulation.engine(),
        round.duplicates_left as usize,
    )
}

/// [`ask`] as a task, so that frames go on while it searches (up to seconds for 5 nodes). It
/// searches a snapshot of the run, which answers as the run itself does
/// (`tests/network_player.rs`). In the browser the page has one thread, so the search still
/// holds it until it answers.
fn ask_off_the_frame(round: &Round) -> Task<Result<FromHere, String>> {
    let setup = round.setup.clone();
    let run = round.simulation.engine().snapshot();
    let copies_left = round.duplicates_left as usize;
    AsyncComputeTaskPool::get().spawn(async move { ask_about(&setup, &*run, copies_left) })
}

fn ask_about(
    setup: &crate::protocol::Setup,
    run: &dyn crate::protocol::AnyEngine,
    copies_left: usize,
) -> Result<FromHere, String> {
    let explorer = crate::protocols::explorer(setup.mode)
        .ok_or_else(|| format!("{} has no checker", setup.mode.name()))?;
    let options = explore::network_player_options(explorer, SEARCH_CRASHES, copies_left);
    explorer.can_it_break(setup, run, &options)
}
