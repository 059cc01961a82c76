//! Headless Bevy tests (no window, no renderer): the ECS mirrors the simulation core.
#![cfg(feature = "game")]

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy::time::TimeUpdateStrategy;

use beat_paxos::game::messages::{Fading, MessageLabel, MessageSprite};
use beat_paxos::game::nodes::{LinkEntity, NodeEntity};
use beat_paxos::game::persist::{BestScores, ScoreStore};
use beat_paxos::game::sim_step::{CurrentRound, Frame, PlayerAttack, StartImmediately};
use beat_paxos::game::timeline::Seek;
use beat_paxos::game::{Screen, Settings, logic_plugins};
use beat_paxos::protocol::Setup;
use beat_paxos::protocols::ec_counter::{self, EcCounter};
use beat_paxos::protocols::paxos::{self, Paxos};
use beat_paxos::round::Attack;

/// A game app straight into a round of `setup`, one simulation step per `update()`.
fn game(setup: Setup, scores: Option<std::path::PathBuf>) -> App {
    start(unstarted(setup, scores))
}

/// The headless game before its first frame, to add to.
fn unstarted(setup: Setup, scores: Option<std::path::PathBuf>) -> App {
    let scores = scores.map_or(ScoreStore::Memory, ScoreStore::File);
    let mut app = App::new();
    // Transforms propagate as in the game, so that what the pointer finds is where it is drawn.
    let plugins = (MinimalPlugins, StatesPlugin, AssetPlugin::default());
    app.add_plugins((plugins, bevy::transform::TransformPlugin))
        .init_asset::<Image>()
        .insert_resource(TimeUpdateStrategy::FixedTimesteps(1))
        .insert_resource(scores);
    logic_plugins(&mut app);
    app.insert_resource(Settings {
        setup,
        scenario: None,
        fixed_seed: true,
        plan: Vec::new(),
        lesson: None,
        free_play: None,
    })
    .insert_resource(StartImmediately);
    app
}

/// Runs the game's first frames: the round is on and its cluster spawned.
fn start(mut app: App) -> App {
    app.update(); // startup; asks for Playing
    app.update(); // enters Playing, starts the round
    app.update(); // spawns the cluster
    app
}

fn count<F: bevy::ecs::query::QueryFilter>(app: &mut App) -> usize {
    app.world_mut()
        .query_filtered::<(), F>()
        .iter(app.world())
        .count()
}

fn round(app: &App) -> &beat_paxos::round::Round {
    &app.world().resource::<CurrentRound>().round
}

/// Presses `keys` together for one frame, then releases them.
fn press_keys(app: &mut App, keys: &[KeyCode]) {
    let mut input = app.world_mut().resource_mut::<ButtonInput<KeyCode>>();
    for key in keys {
        input.press(*key);
    }
    app.update();
    app.world_mut()
        .resource_mut::<ButtonInput<KeyCode>>()
        .reset_all();
}

fn screen(app: &App) -> Screen {
    *app.world().resource::<State<Screen>>().get()
}

#[test]
fn going_back_shows_that_moment_and_a_move_there_forks_the_round() {
    let mut setup = Setup::for_mode(paxos::MODE);
    setup.set_knob("nodes", 5).unwrap();
    setup.seed = 4;
    let mut app = game(setup.clone(), None);
    while round(&app).now() < 300 {
        app.update();
    }
    app.world_mut()
        .write_message(PlayerAttack(Attack::Isolate(0)));
    while round(&app).now() < 700 {
        app.update();
    }
    app.world_mut()
        .write_message(PlayerAttack(Attack::Cut(1, 2)));
    for _ in 0..100 {
        app.update();
    }
    app.world_mut()
        .resource_mut::<beat_paxos::game::sim_step::Clock>()
        .paused = true;
    app.update();
    let frontier = round(&app).now();
    assert_eq!(round(&app).moves.len(), 2);

    // Back to 500: the state of a fresh round run to 500 with the first move, paused there.
    app.world_mut().write_message(Seek(500));
    app.update();
    let mut fresh = beat_paxos::round::Round::new(setup);
    fresh.advance(round(&app).moves[0].tick);
    fresh.attack(Attack::Isolate(0)).unwrap();
    fresh.advance(500 - fresh.now());
    let rewound = round(&app);
    assert_eq!(rewound.now(), 500);
    assert_eq!(rewound.moves.len(), 1, "the later move is still to come");
    assert_eq!(rewound.line().len(), 2);
    assert_eq!(rewound.frontier(), frontier);
    assert_eq!(
        rewound.simulation.engine().trace_lines(0),
        fresh.simulation.engine().trace_lines(0),
        "the same history as a fresh run stopped at 500"
    );
    let (trace_len, in_flight) = (
        rewound.simulation.engine().trace_len(),
        rewound.simulation.engine().in_flight_count(),
    );
    assert_eq!(app.world().resource::<Frame>().new_trace, 0..trace_len);
    assert_eq!(
        count::<(With<MessageSprite>, Without<Fading>)>(&mut app),
        in_flight,
        "sprites show the messages in flight at that moment"
    );
    assert!(
        app.world()
            .resource::<beat_paxos::game::sim_step::Clock>()
            .paused
    );

    // A move here forks: the cut at 700 never happens and the budget counts the new line.
    app.world_mut()
        .write_message(PlayerAttack(Attack::Slow(3, true)));
    app.update();
    let forked = round(&app);
    assert_eq!(forked.line().len(), 2);
    assert_eq!(forked.moves[1].attack, Attack::Slow(3, true));
    assert_eq!(forked.budget_left, beat_paxos::round::FAULT_BUDGET - 3 - 1);
}

#[test]
fn one_node_entity_per_node_and_one_sprite_per_message_in_flight() {
    let mut setup = Setup::for_mode(paxos::MODE);
    setup.set_knob("nodes", 5).unwrap();
    setup.seed = 3;
    let mut app = game(setup, None);
    assert_eq!(screen(&app), Screen::Playing);
    assert_eq!(count::<With<NodeEntity>>(&mut app), 5);
    assert_eq!(
        count::<With<LinkEntity>>(&mut app),
        10,
        "every pair of 5 nodes"
    );
    let (mut most, mut frames_with_messages) = (0, 0);
    for _ in 0..600 {
        app.update();
        let sprites = count::<(With<MessageSprite>, Without<Fading>)>(&mut app);
        let in_flight = round(&app).simulation.engine().in_flight_count();
        assert_eq!(sprites, in_flight, "at tick {}", round(&app).now());
        most = most.max(sprites);
        frames_with_messages += usize::from(sprites > 0);
    }
    assert!(
        most >= 4,
        "a ballot sends to every peer at once (saw at most {most})"
    );
    assert!(
        frames_with_messages > 50 && frames_with_messages < 600,
        "messages come and go"
    );
}

#[test]
fn attacks_from_keys_and_pointer_gestures_reach_the_core() {
    let mut app = game(Setup::for_mode(paxos::MODE), None);
    // Keyboard: select node 2 (green) and kill it.
    press_keys(&mut app, &[KeyCode::Digit2, KeyCode::KeyK]);
    assert!(round(&app).simulation.is_down(1), "green is down");
    assert_eq!(round(&app).moves.len(), 1);

    // What a drag gesture produces: a cut link, which heals by itself later.
    app.world_mut()
        .write_message(PlayerAttack(Attack::Cut(0, 2)));
    app.update();
    assert!(!round(&app).simulation.link_open(0, 2));
    // A refused attack changes nothing: a second kill would leave no majority.
    app.world_mut()
        .write_message(PlayerAttack(Attack::ToggleDown(0)));
    app.update();
    assert!(!round(&app).simulation.is_down(0));
    assert_eq!(round(&app).moves.len(), 2);
    // U duplicates the selected node's next message.
    press_keys(&mut app, &[KeyCode::KeyU]);
    assert_eq!(
        round(&app).moves.last().map(|m| m.attack.clone()),
        Some(Attack::DuplicateNext(1))
    );
}

#[test]
fn a_decision_opens_the_results_and_keeps_the_best_score() {
    let dir = std::env::temp_dir().join(format!("beat-paxos-game-{}", std::process::id()));
    let file = dir.join("best-scores.json");
    let mut app = game(Setup::for_mode(paxos::MODE), Some(file.clone()));
    // Isolate the first leader as soon as there is one: the decision comes later than it would
    // have left alone, and that delay is the score.
    let mut attacked = false;
    for _ in 0..5_000 {
        if screen(&app) == Screen::Results {
            break;
        }
        let leader = round(&app)
            .simulation
            .of::<Paxos>()
            .unwrap()
            .actors()
            .iter()
            .position(|n| n.leading().is_some());
        if let Some(leader) = leader.filter(|_| !attacked) {
            app.world_mut()
                .write_message(PlayerAttack(Attack::Isolate(leader)));
            attacked = true;
        }
        app.update();
    }
    assert_eq!(screen(&app), Screen::Results);
    let outcome = round(&app).outcome.clone().expect("decided");
    assert!(outcome.score > 0, "{outcome:?}");
    assert_eq!(
        outcome.score,
        outcome.tick - outcome.left_alone.expect("decides left alone")
    );
    assert!(app.world().resource::<BestScores>().new_record);
    let saved = beat_paxos::game::persist::load_scores(&file);
    assert_eq!(
        saved.get(&round(&app).setup),
        Some(outcome.score),
        "the best score is on disk"
    );
    // The cluster keeps animating behind the results: the decision reaches the other nodes (the
    // isolated leader once its link heals).
    let decided = |app: &App| {
        let sim = round(app).simulation.of::<Paxos>().unwrap();
        sim.checker().decisions.len()
    };
    for _ in 0..3_000 {
        if decided(&app) == 3 {
            break;
        }
        app.update();
    }
    assert_eq!(decided(&app), 3);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn counter_servers_and_clients_appear_bound_and_the_convergence_badge_follows_the_core() {
    let mut setup = Setup::for_mode(ec_counter::MODE);
    setup.set_knob("requests", 15).unwrap();
    let mut app = game(setup, None);
    assert_eq!(count::<With<NodeEntity>>(&mut app), 8);
    let links: Vec<LinkEntity> = app
        .world_mut()
        .query::<&LinkEntity>()
        .iter(app.world())
        .copied()
        .collect();
    assert_eq!(
        links.len(),
        3 + 5,
        "server pairs, and each client to its own server only"
    );
    let shape = EcCounter::shape(&round(&app).setup);
    for client in 3..8 {
        let to: Vec<usize> = links
            .iter()
            .filter(|l| l.b == client)
            .map(|l| l.a)
            .collect();
        assert_eq!(
            to,
            [shape.server_of(client)],
            "client {client} links only to its server"
        );
    }
    let badges_say = |app: &mut App, word: &str| {
        app.world_mut()
            .query::<&Text2d>()
            .iter(app.world())
            .filter(|t| t.0.contains(word))
            .count()
    };
    let mut converged_frame = None;
    for frame in 0..20_000 {
        app.update();
        let sim = round(&app).simulation.of::<EcCounter>().unwrap();
        let core_converged = sim.checker().converged_at.is_some();
        let shown = badges_say(&mut app, "CONVERGED");
        assert_eq!(
            shown,
            if core_converged { 3 } else { 0 },
            "frame {frame}: badges must follow the core"
        );
        if core_converged {
            converged_frame = Some(frame);
            break;
        }
    }
    assert!(converged_frame.is_some(), "the counter converged");
}

/// Runs `scripts/screenshot.sh` with this test build and returns (PNG pixels, width, height,
/// what the game reported at capture).
fn screenshot(name: &str, args: &[&str]) -> (Vec<u8>, u32, u32, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("artifacts").join(name);
    let run = std::process::Command::new(root.join("scripts/screenshot.sh"))
        .arg(&out)
        .args(args)
        .env("BEAT_PAXOS_BIN", env!("CARGO_BIN_EXE_beat-paxos"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(
        run.status.success(),
        "screenshot.sh failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "bevy saves RGB");
    pixels.truncate(info.buffer_size());
    (pixels, info.width, info.height, stdout)
}

/// Pixels within `tolerance` of `rgb` in the region `x0..x1`.
fn pixels_like(
    pixels: &[u8],
    width: u32,
    rgb: [u8; 3],
    x_range: std::ops::Range<u32>,
    tolerance: i32,
) -> usize {
    pixels
        .chunks_exact(3)
        .enumerate()
        .filter(|(i, p)| {
            let x = (*i as u32) % width;
            x_range.contains(&x)
                && p.iter()
                    .zip(rgb)
                    .all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= tolerance)
        })
        .count()
}

#[test]
fn the_screenshot_script_shows_nodes_flying_messages_and_the_hud() {
    let (pixels, width, height, report) =
        screenshot("paxos-5.png", &["--nodes", "5", "--seed", "5"]);
    assert_eq!((width, height), (1280, 720));
    let in_flight: usize = report
        .split("in_flight ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        in_flight > 0,
        "the picture must catch messages mid-flight: {report}"
    );
    let world = 0..880;
    for (name, rgb) in ["red", "green", "blue", "orange", "purple"]
        .iter()
        .zip(beat_paxos::view::PALETTE)
    {
        // A node of radius 18 px or more (the diagram panel under the cluster leaves it about 21).
        let n = pixels_like(&pixels, width, rgb, world.clone(), 6);
        assert!(n > 1000, "{name} node not visible ({n} pixels)");
    }
    // The side panel: egui's dark panel fill with light text on it.
    let panel = pixels_like(&pixels, width, [27, 27, 27], 960..1280, 3);
    let text = pixels_like(&pixels, width, [190, 190, 190], 960..1280, 60);
    assert!(
        panel > 100_000 && text > 1_000,
        "side panel {panel} px, text {text} px"
    );

    let (pixels, width, _, report) = screenshot(
        "ec-counter.png",
        &["--mode", "ec-counter", "--seed", "5", "--speed", "0.5"],
    );
    assert!(report.contains("nodes 8"), "{report}");
    let servers = pixels_like(&pixels, width, beat_paxos::view::PALETTE[0], 0..880, 6);
    assert!(servers > 1500, "server 0 not visible ({servers} pixels)");
}

#[test]
fn a_replay_that_does_not_play_as_it_says_opens_a_fresh_round_saying_why() {
    let dir = std::env::temp_dir().join(format!("beat-paxos-launch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let launch = |text: &str| {
        let path = dir.join("replay.json");
        std::fs::write(&path, text).unwrap();
        let args = ["beat-paxos", "--replay", path.to_str().unwrap()];
        let cli = beat_paxos::cli::parse(args.map(std::ffi::OsString::from))
            .unwrap_or_else(|_| panic!("flags parse"));
        cli.game.launch().unwrap_or_else(|e| panic!("{}", e.0))
    };
    let moves =
        r#"[{"tick": 200, "attack": {"Isolate": 0}}, {"tick": 400, "attack": {"ToggleDown": 1}}]"#;
    let good = launch(&format!(
        r#"{{"version": 1, "setup": {{"mode": "paxos", "nodes": 5, "seed": 3}}, "moves": {moves}}}"#
    ));
    assert!(good.start_playing && good.notices.is_empty());
    assert_eq!(good.settings.plan.len(), 2);
    assert_eq!(good.settings.setup.knob("nodes"), 5);

    let tampered = launch(&format!(
        r#"{{"version": 1, "setup": {{"mode": "paxos", "nodes": 5, "seed": 3}}, "moves": {moves},
            "trace_hash": "0123456789abcdef"}}"#
    ));
    assert!(tampered.start_playing && tampered.settings.plan.is_empty());
    assert_eq!(tampered.settings.setup.knob("nodes"), 5, "its round, fresh");
    assert!(
        tampered.notices[0].contains("Replay not played")
            && tampered.notices[0].contains("hashes to"),
        "{:?}",
        tampered.notices
    );

    let truncated = launch(r#"{"version": 1, "setup": {"mode": "paxos", "nodes": 5"#);
    assert!(truncated.start_playing && truncated.settings.plan.is_empty());
    assert_eq!(truncated.settings.setup, Setup::for_mode(paxos::MODE));
    assert!(
        truncated.notices[0].contains("line 1"),
        "{:?}",
        truncated.notices
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A game app in lesson `name`; with `shown`, playing its recorded solution by itself.
fn lesson_game(name: &str, shown: bool, dir: &std::path::Path) -> App {
    let lesson = beat_paxos::lesson::find(name).unwrap();
    let recording = lesson.recording().unwrap();
    let mut app = game(recording.setup.clone(), Some(dir.join("best-scores.json")));
    {
        let mut settings = app.world_mut().resource_mut::<Settings>();
        settings.lesson = Some(lesson);
        settings.plan = if shown { recording.moves } else { Vec::new() };
    }
    app.world_mut()
        .resource_mut::<NextState<Screen>>()
        .set(Screen::Playing);
    app.update();
    app.update();
    app
}

#[test]
fn a_lesson_is_followed_to_its_objective_recorded_done_and_shows_no_results_window() {
    use beat_paxos::game::lesson::ActiveLesson;
    use beat_paxos::game::persist::LessonsDone;
    let dir = std::env::temp_dir().join(format!("beat-paxos-lesson-game-{}", std::process::id()));
    let lesson = beat_paxos::lesson::find("break-amnesia").unwrap();
    let mut moves = lesson.recording().unwrap().moves.into_iter().peekable();
    let mut app = lesson_game("break-amnesia", false, &dir);
    assert_eq!(
        app.world().resource::<ActiveLesson>().lesson.name,
        lesson.name
    );
    // The player makes the solution's moves as their ticks come, and plays on wherever the
    // lesson pauses for them.
    while app.world().resource::<ActiveLesson>().met_at.is_none() {
        assert!(round(&app).now() < 5_000, "the objective was never met");
        app.world_mut()
            .resource_mut::<beat_paxos::game::sim_step::Clock>()
            .paused = false;
        if moves.peek().is_some_and(|m| round(&app).now() >= m.tick) {
            let attack = moves.next().unwrap().attack;
            app.world_mut().write_message(PlayerAttack(attack));
        }
        app.update();
    }
    assert!(round(&app).outcome.is_some(), "decided long before");
    assert_eq!(
        screen(&app),
        Screen::Playing,
        "a lesson shows its own panel"
    );
    assert!(
        app.world()
            .resource::<LessonsDone>()
            .done
            .contains(lesson.name)
    );
    let saved = std::fs::read_to_string(dir.join("lessons.json")).unwrap();
    assert!(saved.contains(lesson.name), "{saved}");
    std::fs::remove_dir_all(&dir).ok();

    // Watching the recorded solution meets the objective but is not doing the lesson.
    let mut app = lesson_game("break-amnesia", true, &dir);
    while app.world().resource::<ActiveLesson>().met_at.is_none() {
        assert!(round(&app).now() < 5_000, "the shown solution never met it");
        app.update();
    }
    assert!(app.world().resource::<LessonsDone>().done.is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_caught_violation_pauses_the_game_once_and_says_what_failed() {
    use beat_paxos::game::sim_step::Clock;
    use beat_paxos::game::timeline::Seek;
    use beat_paxos::game::violation::ViolationAlarm;
    let dir = std::env::temp_dir().join(format!("beat-paxos-alarm-{}", std::process::id()));
    let mut app = lesson_game("break-amnesia", true, &dir);
    while app.world().resource::<ViolationAlarm>().caught.is_none() {
        assert!(
            round(&app).now() < 5_000,
            "the broken protocol was never caught"
        );
        assert!(!app.world().resource::<Clock>().paused);
        app.update();
    }
    app.update(); // the seek back to the very moment
    let violation = round(&app).simulation.engine().violations()[0].clone();
    let alarm = app.world().resource::<ViolationAlarm>();
    assert_eq!(alarm.caught.as_ref(), Some(&violation));
    assert!(alarm.open);
    assert!(
        app.world().resource::<Clock>().paused,
        "the game stops on it"
    );
    assert_eq!(round(&app).now(), violation.tick, "on that very moment");

    // Going back before it and playing on catches it again: no news, no second pause.
    app.world_mut().resource_mut::<ViolationAlarm>().open = false;
    app.world_mut().write_message(Seek(violation.tick - 50));
    app.update();
    assert!(round(&app).simulation.engine().violations().is_empty());
    app.world_mut().resource_mut::<Clock>().paused = false;
    while round(&app).now() < violation.tick + 100 {
        app.update();
    }
    assert!(!round(&app).simulation.engine().violations().is_empty());
    assert!(!app.world().resource::<ViolationAlarm>().open);
    assert!(!app.world().resource::<Clock>().paused);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn classroom_mode_is_a_key_away_and_enlarges_every_label() {
    use beat_paxos::game::classroom::{Classroom, LABEL_PX, LABEL_SCALE};
    let mut app = game(Setup::for_mode(paxos::MODE), None);
    let sizes = |app: &mut App| -> Vec<f32> {
        let mut sizes: Vec<f32> = app
            .world_mut()
            .query_filtered::<&TextFont, (With<Text2d>, Without<MessageLabel>)>()
            .iter(app.world())
            .map(|font| match font.font_size {
                FontSize::Px(px) => px,
                _ => 0.0,
            })
            .collect();
        sizes.sort_by(f32::total_cmp);
        sizes
    };
    app.update();
    let normal = sizes(&mut app);
    assert!(!normal.is_empty());
    assert!(!app.world().resource::<Classroom>().0);
    let press_v = |app: &mut App| {
        press_keys(app, &[KeyCode::KeyV]);
        app.update();
    };
    press_v(&mut app);
    assert!(app.world().resource::<Classroom>().0);
    let large = sizes(&mut app);
    assert_eq!(large.len(), normal.len());
    for (big, small) in large.iter().zip(&normal) {
        assert!((big - small * LABEL_SCALE).abs() < 0.01, "{big} vs {small}");
    }
    // Messages sent since are labelled large from the start.
    let mut message_sizes: Vec<FontSize> = Vec::new();
    for _ in 0..2_000 {
        app.update();
        message_sizes = app
            .world_mut()
            .query_filtered::<&TextFont, With<MessageLabel>>()
            .iter(app.world())
            .map(|font| font.font_size)
            .collect();
        if !message_sizes.is_empty() {
            break;
        }
    }
    assert!(!message_sizes.is_empty(), "messages are in flight");
    assert!(
        message_sizes
            .iter()
            .all(|size| *size == FontSize::Px(LABEL_PX * LABEL_SCALE)),
        "{message_sizes:?}"
    );
    press_v(&mut app);
    assert_eq!(sizes(&mut app), normal, "and back");
}

/// Five frames a second: each `update()` is 0.2 s of wall time (twelve fixed steps).
fn at_five_frames_a_second(app: &mut App) {
    app.insert_resource(TimeUpdateStrategy::ManualDuration(
        std::time::Duration::from_millis(200),
    ));
}

/// Where node `id` is drawn, in world coordinates.
fn node_place(app: &mut App, id: usize) -> Vec2 {
    app.world_mut()
        .query::<&NodeEntity>()
        .iter(app.world())
        .find(|node| node.id == id)
        .map(|node| Vec2::new(node.place.x, node.place.y))
        .expect("the node is drawn")
}

/// The pointer does `events`, all between two frames, as a slow machine reads them.
fn pointer(app: &mut App, events: &[beat_paxos::game::input::PointerEvent]) {
    for event in events {
        app.world_mut().write_message(*event);
    }
    app.update();
}

#[test]
fn at_five_frames_a_second_clicks_double_clicks_holds_and_space_all_work() {
    use beat_paxos::game::input::PointerEvent::{Press, Release};
    use beat_paxos::game::nodes::Selection;
    use beat_paxos::game::sim_step::Clock;
    let mut app = game(Setup::for_mode(paxos::MODE), None);
    at_five_frames_a_second(&mut app);
    app.update();
    let green = node_place(&mut app, 1);

    // A whole click between two frames selects.
    pointer(&mut app, &[Press(green), Release(green)]);
    assert_eq!(app.world().resource::<Selection>().node, Some(1));
    assert!(
        !round(&app).simulation.is_down(1),
        "one click does not kill"
    );

    // Both clicks of a double-click between two frames kill.
    app.update();
    pointer(
        &mut app,
        &[Press(green), Release(green), Press(green), Release(green)],
    );
    assert!(
        round(&app).simulation.is_down(1),
        "double-click killed green"
    );

    // A double-click spread over two frames 0.2 s apart recovers.
    pointer(&mut app, &[Press(green), Release(green)]);
    pointer(&mut app, &[Press(green), Release(green)]);
    assert!(
        !round(&app).simulation.is_down(1),
        "double-click recovered green"
    );

    // Held across frames for 0.4 s: slowed, until it is let go.
    app.update();
    let red = node_place(&mut app, 0);
    pointer(&mut app, &[Press(red)]);
    app.update();
    app.update();
    assert!(
        round(&app).simulation.slow_factor(0) > 1,
        "holding slows red"
    );
    pointer(&mut app, &[Release(red)]);
    assert_eq!(round(&app).simulation.slow_factor(0), 1);

    // A drag in one frame cuts the link it crosses.
    let blue = node_place(&mut app, 2);
    pointer(
        &mut app,
        &[
            Press(red),
            beat_paxos::game::input::PointerEvent::Move(blue),
            Release(blue),
        ],
    );
    assert!(
        !round(&app).simulation.link_open(0, 2),
        "dragged red to blue"
    );

    // Space pauses and plays, a key press between two frames.
    press_keys(&mut app, &[KeyCode::Space]);
    assert!(app.world().resource::<Clock>().paused);
    let now = round(&app).now();
    app.update();
    assert_eq!(round(&app).now(), now, "paused");
    press_keys(&mut app, &[KeyCode::Space]);
    assert!(!app.world().resource::<Clock>().paused);
}

#[test]
fn at_two_frames_a_second_a_double_tap_is_timed_between_the_taps_not_the_frames() {
    use beat_paxos::game::input::PointerEvent::{Press, Release};
    let mut app = game(Setup::for_mode(paxos::MODE), None);
    app.insert_resource(TimeUpdateStrategy::ManualDuration(
        std::time::Duration::from_millis(500),
    ));
    app.update();
    let green = node_place(&mut app, 1);

    // The first tap ends just before a frame, the second starts just after: two frames 0.5 s
    // apart see them, more than a double tap's 0.4 s, but the taps themselves may be close.
    pointer(&mut app, &[Press(green), Release(green)]);
    pointer(&mut app, &[Press(green), Release(green)]);
    assert!(
        round(&app).simulation.is_down(1),
        "a double tap split by a slow frame killed green"
    );

    // Two taps with a whole frame between them are at least 0.5 s apart: two single taps.
    pointer(&mut app, &[Press(green), Release(green)]);
    app.update();
    pointer(&mut app, &[Press(green), Release(green)]);
    assert!(
        round(&app).simulation.is_down(1),
        "taps a frame apart are not a double tap"
    );
}

#[test]
fn a_lesson_waits_for_the_student_at_its_moment_and_stops_on_done_at_five_frames_a_second() {
    use beat_paxos::game::input::PointerEvent::{Press, Release};
    use beat_paxos::game::lesson::ActiveLesson;
    use beat_paxos::game::sim_step::Clock;
    let dir = std::env::temp_dir().join(format!("beat-paxos-slow-lesson-{}", std::process::id()));
    let mut app = lesson_game("leader-crash", false, &dir);
    at_five_frames_a_second(&mut app);
    let lesson = app.world().resource::<ActiveLesson>().lesson;
    // It runs until the first leader starts its ballot, then stops at that very tick.
    while app.world().resource::<ActiveLesson>().paused_for.is_none() {
        assert!(round(&app).now() < 3_000, "no pause came");
        app.update();
    }
    app.update(); // the seek back to the moment
    let pauses = (lesson.pauses)(round(&app).simulation.engine());
    let pause = pauses.first().expect("a pause").clone();
    assert!(app.world().resource::<Clock>().paused);
    assert_eq!(
        round(&app).now(),
        pause.tick,
        "stopped at the moment itself"
    );
    let leader = round(&app)
        .simulation
        .engine()
        .node_views(&round(&app).setup)
        .iter()
        .position(|view| view.leading.is_some())
        .expect("a leader");
    let name = beat_paxos::view::colour_name(leader);
    let words = app.world().resource::<ActiveLesson>().paused_for.clone();
    assert!(
        words.as_deref().is_some_and(|w| w.starts_with(name)),
        "{words:?} names {name}"
    );
    // However long the student reads, nothing moves.
    for _ in 0..10 {
        app.update();
    }
    assert_eq!(round(&app).now(), pause.tick);
    // The student does what it says, slowly, and plays on.
    let at = node_place(&mut app, leader);
    pointer(&mut app, &[Press(at), Release(at), Press(at), Release(at)]);
    assert!(round(&app).simulation.is_down(leader));
    press_keys(&mut app, &[KeyCode::Space]);
    assert_eq!(app.world().resource::<ActiveLesson>().paused_for, None);
    while app.world().resource::<ActiveLesson>().met_at.is_none() {
        assert!(round(&app).now() < 10_000, "the objective was never met");
        app.update();
    }
    app.update(); // the seek back to the moment it was met
    let met_at = app.world().resource::<ActiveLesson>().met_at;
    assert!(
        app.world().resource::<Clock>().paused,
        "DONE stops the clock"
    );
    assert_eq!(Some(round(&app).now()), met_at, "on the moment that met it");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_first_lesson_starts_paused_and_steps_and_show_me_works_while_running() {
    use beat_paxos::game::lesson::{ActiveLesson, LessonAction};
    use beat_paxos::game::sim_step::Clock;
    let dir = std::env::temp_dir().join(format!("beat-paxos-first-lesson-{}", std::process::id()));
    let mut app = lesson_game("first-decision", false, &dir);
    at_five_frames_a_second(&mut app);
    assert!(app.world().resource::<Clock>().paused, "starts paused");
    assert!(app.world().resource::<ActiveLesson>().paused_for.is_some());
    for _ in 0..5 {
        app.update();
    }
    assert_eq!(round(&app).now(), 0);
    // `.` steps to the next event.
    press_keys(&mut app, &[KeyCode::Period]);
    app.update();
    assert!(round(&app).now() > 0, "stepped");
    assert!(app.world().resource::<Clock>().paused);

    // "show me" while the round runs: the lesson starts over, playing its solution.
    let mut app = lesson_game("leader-crash", false, &dir);
    at_five_frames_a_second(&mut app);
    app.update();
    assert!(!app.world().resource::<Clock>().paused);
    app.world_mut().write_message(LessonAction::ShowMe);
    app.update();
    app.update();
    let active = app.world().resource::<ActiveLesson>();
    assert!(active.shown, "the solution plays");
    assert!(!round(&app).planned().is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn leaving_a_broken_lesson_gives_free_play_back_its_correct_protocol() {
    use beat_paxos::game::lesson::LessonAction;
    let dir = std::env::temp_dir().join(format!("beat-paxos-leave-lesson-{}", std::process::id()));
    let mut app = lesson_game("break-amnesia", false, &dir);
    assert!(round(&app).setup.broken.is_some());
    app.world_mut().write_message(LessonAction::AllLessons);
    app.update();
    app.update();
    assert_eq!(screen(&app), Screen::Title);
    let settings = app.world().resource::<Settings>();
    assert_eq!(settings.lesson, None);
    assert_eq!(
        settings.setup.broken, None,
        "free play is correct Paxos again"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_lesson_given_at_launch_opens_paused_as_the_command_line_and_links_ask() {
    use beat_paxos::game::lesson::ActiveLesson;
    use beat_paxos::game::sim_step::Clock;
    let lesson = beat_paxos::lesson::find("first-decision").unwrap();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin, AssetPlugin::default()))
        .init_asset::<Image>()
        .insert_resource(TimeUpdateStrategy::FixedTimesteps(1))
        .insert_resource(ScoreStore::Memory);
    logic_plugins(&mut app);
    app.insert_resource(Settings {
        setup: lesson.setup().unwrap(),
        scenario: None,
        fixed_seed: true,
        plan: Vec::new(),
        lesson: Some(lesson),
        free_play: None,
    })
    .insert_resource(StartImmediately);
    for _ in 0..4 {
        app.update();
    }
    assert_eq!(screen(&app), Screen::Playing);
    let active = app.world().get_resource::<ActiveLesson>();
    assert_eq!(active.map(|a| a.lesson.name), Some(lesson.name));
    assert!(app.world().resource::<Clock>().paused);
    assert_eq!(round(&app).now(), 0, "stopped before the first step");
}

#[test]
fn the_network_player_clicks_a_parked_message_to_deliver_it_and_messages_on_one_link_fan_out() {
    use beat_paxos::game::input::PointerEvent::{Press, Release};
    let mut setup = Setup::for_mode(paxos::MODE);
    setup.network_player = true;
    let mut app = game(setup, None);
    for _ in 0..20 {
        app.update();
    }
    assert_eq!(round(&app).now(), 0, "nothing moves by itself");
    // Red's election timer fires: its prepares wait on its links to green and blue.
    app.world_mut()
        .write_message(PlayerAttack(Attack::Fire(0, 0)));
    app.update();
    app.update();
    let waiting = round(&app).network_choices().unwrap().messages;
    assert_eq!(waiting.len(), 2, "red's prepares wait: {waiting:?}");
    let sprites: Vec<(u64, Vec2)> = app
        .world_mut()
        .query_filtered::<(&MessageSprite, &GlobalTransform), Without<Fading>>()
        .iter(app.world())
        .map(|(m, t)| (m.id, t.translation().truncate()))
        .collect();
    assert_eq!(sprites.len(), 2);
    // Parked near their receivers, not at red.
    let red = node_place(&mut app, 0);
    for (id, at) in &sprites {
        let to = node_place(&mut app, waiting.iter().find(|m| m.id == *id).unwrap().to);
        assert!(
            at.distance(to) < at.distance(red),
            "message {id} is parked near its receiver"
        );
    }
    // A click on one delivers it: the move is a delivery, and it is gone from the links.
    let (id, at) = sprites[0];
    pointer(&mut app, &[Press(at), Release(at)]);
    app.update();
    let moves = &round(&app).moves;
    assert_eq!(moves.last().map(|m| &m.attack), Some(&Attack::Deliver(id)));
    let waiting = round(&app).network_choices().unwrap().messages;
    assert!(waiting.iter().all(|m| m.id != id), "delivered");
    // The receiver's promise now waits on the link back to red beside the other prepare.
    assert_eq!(waiting.len(), 2, "{waiting:?}");

    // Red times out again: a second prepare waits on each of its links, and the two on one link
    // are drawn apart, the first sent nearer the receiver.
    let timer = round(&app).network_choices().unwrap().timers;
    let red_timer = timer
        .iter()
        .find(|t| t.node == 0)
        .expect("red's timer is armed again");
    let attack = Attack::Fire(0, red_timer.timer);
    app.world_mut().write_message(PlayerAttack(attack));
    app.update();
    app.update();
    let waiting = round(&app).network_choices().unwrap().messages;
    let on_link: Vec<u64> = waiting
        .iter()
        .filter(|m| m.from == 0 && m.to == 2)
        .map(|m| m.id)
        .collect();
    assert_eq!(on_link.len(), 2, "{waiting:?}");
    let at = |app: &mut App, id: u64| {
        app.world_mut()
            .query::<(&MessageSprite, &GlobalTransform)>()
            .iter(app.world())
            .find(|(m, _)| m.id == id)
            .map(|(_, t)| t.translation().truncate())
            .unwrap()
    };
    let (first, second) = (at(&mut app, on_link[0]), at(&mut app, on_link[1]));
    let blue = node_place(&mut app, 2);
    assert!(
        first.distance(second) > 20.0,
        "fanned out: {first} {second}"
    );
    assert!(first.distance(blue) < second.distance(blue));
    // A tap off the second one's centre, towards the first, still picks the second.
    let tap = second.lerp(first, 0.15);
    pointer(&mut app, &[Press(tap), Release(tap)]);
    let moves = &round(&app).moves;
    assert_eq!(
        moves.last().map(|m| &m.attack),
        Some(&Attack::Deliver(on_link[1]))
    );
}

#[test]
fn the_network_player_plays_a_round_with_keys_alone_and_it_keeps_no_score() {
    let dir = std::env::temp_dir().join(format!("beat-paxos-keys-{}", std::process::id()));
    let file = dir.join("best-scores.json");
    let mut setup = Setup::for_mode(paxos::MODE);
    setup.network_player = true;
    let mut app = game(setup, Some(file.clone()));
    let last_move = |app: &App| round(app).moves.last().map(|m| m.attack.clone());
    // F with no node selected fires nothing; 1 then F fires red's timer.
    press_keys(&mut app, &[KeyCode::KeyF]);
    assert!(round(&app).moves.is_empty());
    press_keys(&mut app, &[KeyCode::Digit1]);
    press_keys(&mut app, &[KeyCode::KeyF]);
    assert_eq!(last_move(&app), Some(Attack::Fire(0, 0)));
    app.update();
    let waiting = round(&app).network_choices().unwrap().messages;
    assert_eq!(waiting.len(), 2, "red's prepares wait: {waiting:?}");
    // Enter delivers the first waiting; N then picks the next, and Shift+Enter delivers a copy
    // of it, which keeps it waiting; X then drops it.
    press_keys(&mut app, &[KeyCode::Enter]);
    assert_eq!(last_move(&app), Some(Attack::Deliver(waiting[0].id)));
    app.update();
    let waiting = round(&app).network_choices().unwrap().messages;
    press_keys(&mut app, &[KeyCode::KeyN]);
    let picked = waiting[1].id;
    press_keys(&mut app, &[KeyCode::ShiftLeft, KeyCode::Enter]);
    assert_eq!(last_move(&app), Some(Attack::DeliverCopy(picked)));
    app.update();
    let still = round(&app).network_choices().unwrap().messages;
    assert!(
        still.iter().any(|m| m.id == picked),
        "a copy keeps it waiting"
    );
    press_keys(&mut app, &[KeyCode::KeyX]);
    assert_eq!(last_move(&app), Some(Attack::Drop(picked)));
    // G lets the network run, and G holds it again.
    press_keys(&mut app, &[KeyCode::KeyG]);
    assert_eq!(last_move(&app), Some(Attack::RunNetwork(true)));
    press_keys(&mut app, &[KeyCode::KeyG]);
    assert_eq!(last_move(&app), Some(Attack::RunNetwork(false)));
    // Then Enter, or F at whichever node has a timer when nothing waits, to the decision; an
    // Enter pressed as the results open does not skip them.
    for _ in 0..200 {
        if screen(&app) == Screen::Results {
            break;
        }
        let choices = round(&app).network_choices().unwrap();
        if choices.messages.is_empty() {
            let node = choices.timers[0].node;
            press_keys(&mut app, &[beat_paxos::game::input::DIGITS[node]]);
            press_keys(&mut app, &[KeyCode::KeyF]);
        } else {
            press_keys(&mut app, &[KeyCode::Enter]);
        }
        app.update();
    }
    assert_eq!(
        screen(&app),
        Screen::Results,
        "decided by keys alone: {:?} {:?}",
        round(&app)
            .moves
            .iter()
            .rev()
            .take(8)
            .map(|m| &m.attack)
            .collect::<Vec<_>>(),
        round(&app).network_choices()
    );
    assert!(round(&app).simulation.engine().violations().is_empty());
    let moves = round(&app).moves.len();
    press_keys(&mut app, &[KeyCode::Enter]);
    app.update();
    assert_eq!(screen(&app), Screen::Results);
    assert_eq!(round(&app).moves.len(), moves, "the same round");
    // The network set the clock: no score is kept for it.
    assert!(!app.world().resource::<BestScores>().new_record);
    assert!(
        !file.exists(),
        "no best score saved for a network player's round"
    );
}

#[test]
fn every_label_on_the_cluster_is_twelve_pixels_or_more_on_screen_and_eighteen_in_classroom_mode() {
    use beat_paxos::game::camera::PixelSize;
    use beat_paxos::game::classroom::Classroom;
    // The camera's scale at 1280x720 with the side panel and the diagram: about two world
    // units a pixel (the cluster's 860 units in some 430 pixels of height).
    for (mode, nodes) in [
        (paxos::MODE, 9),
        (ec_counter::MODE, 7),
        (beat_paxos::protocols::raft::MODE, 9),
    ] {
        let mut setup = Setup::for_mode(mode);
        setup.set_knob(mode.size_knob(), nodes).unwrap();
        let mut app = game(setup, None);
        app.insert_resource(PixelSize(2.0));
        for classroom in [false, true] {
            app.insert_resource(Classroom(classroom));
            let mut smallest = f32::MAX;
            for _ in 0..300 {
                app.update();
                let pixel = app.world().resource::<PixelSize>().0;
                let sizes: Vec<f32> = app
                    .world_mut()
                    .query_filtered::<&TextFont, With<Text2d>>()
                    .iter(app.world())
                    .map(|font| match font.font_size {
                        FontSize::Px(px) => px / pixel,
                        _ => 0.0,
                    })
                    .collect();
                smallest = sizes.into_iter().fold(smallest, f32::min);
            }
            let least = if classroom { 18.0 } else { 12.0 };
            assert!(
                smallest >= least,
                "{} at {nodes}, classroom {classroom}: a label of {smallest} px",
                mode.name()
            );
        }
    }
}

/// A zoom (the window resized, so the camera is fitted again) resizes every label on the
/// cluster in the frame it happens: none is drawn a frame at the old scale.
#[test]
fn a_zoom_resizes_every_label_in_the_frame_the_camera_changes() {
    use beat_paxos::game::camera::{self, PixelSize};
    use beat_paxos::game::classroom::{Classroom, LabelSize};
    use bevy::window::{PrimaryWindow, Window};
    let mut setup = Setup::for_mode(paxos::MODE);
    setup.set_knob(paxos::MODE.size_knob(), 5).unwrap();
    let mut app = unstarted(setup, None);
    camera::plugin(&mut app);
    let window = app
        .world_mut()
        .spawn((
            Window {
                resolution: (1280, 720).into(),
                ..Default::default()
            },
            PrimaryWindow,
        ))
        .id();
    let mut app = start(app);
    for _ in 0..30 {
        app.update();
    }
    let mut scales = Vec::new();
    for (width, height) in [(640, 360), (1920, 1080), (390, 844)] {
        let before = app.world().resource::<PixelSize>().0;
        app.world_mut()
            .get_mut::<Window>(window)
            .unwrap()
            .resolution
            .set(width as f32, height as f32);
        app.update();
        let pixel = app.world().resource::<PixelSize>().0;
        assert_ne!(
            pixel, before,
            "{width}x{height}: the camera was fitted again"
        );
        scales.push(pixel);
        let classroom = app.world().resource::<Classroom>().0;
        let mut labels = app
            .world_mut()
            .query_filtered::<(&TextFont, &LabelSize), With<Text2d>>();
        let mut checked = 0;
        for (font, size) in labels.iter(app.world()) {
            assert_eq!(
                font.font_size,
                FontSize::Px(size.font(pixel, classroom)),
                "{width}x{height}: a label of {size:?} at {pixel} world units a pixel"
            );
            checked += 1;
        }
        assert!(checked >= 5, "{width}x{height}: {checked} labels");
    }
}
