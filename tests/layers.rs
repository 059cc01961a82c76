//! The layers of `docs/architecture.md`, checked: every `src/` file may use only the modules of
//! the layers below its own. It reads each file's `crate::` paths (in `use` lines and in code) and
//! fails naming the file, the line, the import and the rule it breaks.
//!
//! Test modules (`#[cfg(test)] mod ...` to the end of a file) are left out: a test may build a
//! whole round to look at one layer.

use std::fs;
use std::path::{Path, PathBuf};

/// The column, bottom first. A module may use the modules of the layers before its own, and
/// nothing of its own layer but itself.
const LAYERS: &[&[&str]] = &[
    &["sim"],
    &["view"],
    &["diagram"],
    &["protocol"],
    &["chaos"],
    &["simulation"],
    &["round", "explore", "batch"],
    &["protocols"],
    &["scenario"],
    &["replay"],
    &["lesson"],
    &["link"],
    &["game", "output_file"],
    &["cli"],
];

/// The files that declare the modules rather than belong to one.
const ROOTS: &[&str] = &["lib.rs", "main.rs"];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file under `src/` belongs to: `src/chaos/adversary.rs` is `chaos`.
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().unwrap();
    let first = first.as_os_str().to_str().unwrap();
    first.strip_suffix(".rs").unwrap_or(first).to_string()
}

/// The code of a file without its test module and its comments.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut previous_was_cfg_test = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if previous_was_cfg_test && trimmed.starts_with("mod ") {
            break;
        }
        previous_was_cfg_test = trimmed == "#[cfg(test)]";
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        lines.push((index + 1, code.to_string()));
    }
    lines
}

/// The top-level modules named by the `crate::` paths in `code`, one line of it or a whole
/// (possibly multi-line) `use` item: `crate::{a::X, b}` names `a` and `b`.
fn crate_modules(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        // `$crate::` in a macro is the same crate, but `foo_crate::` is not a path of ours.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group, split at depth 0.
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.push(first_ident(&group[start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(first_ident(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(first_ident(rest));
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

fn first_ident(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every import that breaks the column, as "file:line: ..." messages.
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap();
        if ROOTS.contains(&relative.to_str().unwrap()) {
            continue;
        }
        let module = module_of(relative);
        let shown = format!("src/{}", relative.display());
        let Some(own) = layer_of(&module) else {
            problems.push(format!(
                "{shown}: module `{module}` is in no layer: add it to LAYERS in tests/layers.rs \
                 and to the column in docs/architecture.md"
            ));
            continue;
        };
        let text = fs::read_to_string(&file).unwrap();
        // A `use` item may span lines: join each one to its `;` before reading it.
        let mut pending: Option<(usize, String)> = None;
        for (number, code) in code_lines(&text) {
            let (line, joined) = match pending.take() {
                Some((start, mut so_far)) => {
                    so_far.push_str(&code);
                    (start, so_far)
                }
                None => (number, code),
            };
            let start = joined.trim_start();
            let is_use = ["use ", "pub use ", "pub(crate) use "]
                .iter()
                .any(|prefix| start.starts_with(prefix));
            if is_use && !joined.contains(';') {
                pending = Some((line, joined));
                continue;
            }
            for used in crate_modules(&joined) {
                if used == module {
                    continue;
                }
                let allowed = match layer_of(&used) {
                    Some(theirs) => theirs < own,
                    None => false,
                };
                if !allowed {
                    let below: Vec<&str> = LAYERS[..own]
                        .iter()
                        .flat_map(|l| l.iter())
                        .copied()
                        .collect();
                    let theirs = match layer_of(&used) {
                        Some(theirs) if theirs == own => "its own layer".to_string(),
                        Some(theirs) => format!("layer {theirs}, above it"),
                        None => "no layer".to_string(),
                    };
                    problems.push(format!(
                        "{shown}:{line}: imports crate::{used} ({theirs}); `{module}` is layer \
                         {own} and may use only the layers below it: {}",
                        if below.is_empty() {
                            "none".to_string()
                        } else {
                            below.join(", ")
                        }
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn every_file_imports_only_from_the_layers_below_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = violations(&src);
    assert!(
        problems.is_empty(),
        "imports that break the layers of docs/architecture.md:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_reader_finds_every_module_a_use_item_names() {
    assert_eq!(crate_modules("use crate::sim::{Action, Tick};"), ["sim"]);
    assert_eq!(
        crate_modules("use crate::{batch, chaos::{self, Adversary}, sim};"),
        ["batch", "chaos", "sim"]
    );
    assert_eq!(
        crate_modules("let x = crate::round::attack_text(&a, &crate::protocol::Setup::x());"),
        ["round", "protocol"]
    );
    assert_eq!(crate_modules("$crate::sim::Tick; not_crate::x"), ["sim"]);
}

#[test]
fn a_test_module_and_comments_are_left_out() {
    let text = "use crate::sim::Tick; // see crate::game\n#[cfg(test)]\nmod tests {\n    use crate::game;\n}\n";
    let lines = code_lines(text);
    assert_eq!(lines.len(), 2);
    assert_eq!(crate_modules(&lines[0].1), ["sim"]);
}
