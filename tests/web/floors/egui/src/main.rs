//! The size floor of an egui-only web front end: a cluster of discs with labels drawn by egui's
//! painter, and a side panel.
use eframe::egui;
use wasm_bindgen::JsCast;

struct Floor {
    frames: u32,
}

impl eframe::App for Floor {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::Panel::right("side").show(ui, |ui| {
            ui.heading("Beat Paxos");
            ui.label("tick 0");
            let _ = ui.button("pause");
        });
        let painter = ui.painter();
        let centre = ui.max_rect().center();
        for i in 0..5 {
            let a = i as f32 / 5.0 * std::f32::consts::TAU;
            let p = centre + egui::vec2(a.cos(), a.sin()) * 150.0;
            painter.circle_filled(p, 30.0, egui::Color32::from_rgb(213, 94, 0));
            painter.text(
                p,
                egui::Align2::CENTER_CENTER,
                format!("{i}"),
                egui::FontId::monospace(18.0),
                egui::Color32::BLACK,
            );
        }
        // The game's ready signal (src/game/web.rs `signal_ready`): the third frame's time.
        self.frames += 1;
        if self.frames == 3 {
            let window = web_sys::window().unwrap();
            let ms = window.performance().map_or(0.0, |p| p.now());
            let _ = js_sys::Reflect::set(&window, &"beatPaxosFirstFrameMs".into(), &ms.into());
            let _ = js_sys::Reflect::set(&window, &"beatPaxosReady".into(), &true.into());
        }
        ui.ctx().request_repaint();
    }
}

fn main() {
    let canvas = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .get_element_by_id("beat-paxos")
        .unwrap()
        .dyn_into::<web_sys::HtmlCanvasElement>()
        .unwrap();
    wasm_bindgen_futures::spawn_local(async move {
        eframe::WebRunner::new()
            .start(
                canvas,
                eframe::WebOptions::default(),
                Box::new(|_cc| Ok(Box::new(Floor { frames: 0 }))),
            )
            .await
            .unwrap();
    });
}
