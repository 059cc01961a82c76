//! The web build's egui fonts: egui's own two default fonts, cut down to the characters the game
//! shows (`scripts/subset-fonts.sh`), instead of its full default fonts and emoji fonts — 150 KB
//! instead of 1.4 MB in the download. Same glyphs and metrics, so the HUD looks as natively.

use bevy::prelude::*;
use bevy_egui::EguiContext;
use bevy_egui::egui::{FontData, FontDefinitions, FontFamily};

const UBUNTU_LIGHT: &[u8] = include_bytes!("../../assets/fonts/Ubuntu-Light-subset.ttf");
const HACK: &[u8] = include_bytes!("../../assets/fonts/Hack-Regular-subset.ttf");

pub(super) fn plugin(app: &mut App) {
    // egui reads fonts at the start of a pass, so they must be set as soon as a context exists.
    app.add_observer(set_fonts);
}

fn set_fonts(add: On<Add, EguiContext>, mut contexts: Query<&mut EguiContext>) {
    if let Ok(mut context) = contexts.get_mut(add.entity) {
        context.get_mut().set_fonts(fonts());
    }
}

/// egui's default families, without the emoji fallbacks.
fn fonts() -> FontDefinitions {
    let mut fonts = FontDefinitions::empty();
    fonts.font_data.insert(
        "Ubuntu-Light".into(),
        FontData::from_static(UBUNTU_LIGHT).into(),
    );
    fonts
        .font_data
        .insert("Hack".into(), FontData::from_static(HACK).into());
    fonts
        .families
        .insert(FontFamily::Proportional, vec!["Ubuntu-Light".into()]);
    fonts.families.insert(
        FontFamily::Monospace,
        vec!["Hack".into(), "Ubuntu-Light".into()],
    );
    fonts
}
