//! Files the command line writes (traces, counterexamples): never over one of its own inputs,
//! and never seen half written. A file is written under a temporary name in the same folder and
//! renamed over the target when complete, so a reader sees the old file or the whole new one, and
//! two runs writing the same path each leave a whole file (the last to finish wins) instead of
//! interleaved lines.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A file being written under a temporary name; [`commit`](OutputFile::commit) puts it in place,
/// dropping it uncommitted removes it.
#[derive(Debug)]
pub struct OutputFile {
    target: PathBuf,
    /// `None` when the target is a device or a pipe (`/dev/null`, `/dev/stdout`), which is
    /// written in place: renaming over it would replace the device.
    temp: Option<PathBuf>,
}

impl OutputFile {
    /// Opens a temporary file beside `target` (so a path that cannot be written fails now, not
    /// after a long run).
    pub fn create(target: &Path) -> io::Result<(OutputFile, File)> {
        match std::fs::metadata(target) {
            Ok(meta) if meta.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "it is a folder; expected a file name",
                ));
            }
            Ok(meta) if !meta.is_file() => {
                let file = std::fs::OpenOptions::new().write(true).open(target)?;
                let output = OutputFile {
                    target: target.to_path_buf(),
                    temp: None,
                };
                return Ok((output, file));
            }
            _ => {}
        }
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = target
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "expected a file name"))?;
        let temp_name = format!(
            ".{}.{}-{}.tmp",
            name.to_string_lossy(),
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let temp = target.with_file_name(temp_name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        let output = OutputFile {
            target: target.to_path_buf(),
            temp: Some(temp),
        };
        Ok((output, file))
    }

    /// Puts the complete file in place of the target.
    pub fn commit(mut self) -> io::Result<()> {
        match self.temp.take() {
            Some(temp) => std::fs::rename(&temp, &self.target).inspect_err(|_| {
                let _ = std::fs::remove_file(&temp);
            }),
            None => Ok(()),
        }
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if let Some(temp) = &self.temp {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Whether `a` and `b` name the same file: the same device and inode when both exist (through
/// links and `..`), else the same canonical path.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(a), Ok(b)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return a.dev() == b.dev() && a.ino() == b.ino();
        }
    }
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Refuses an output path that is one of the inputs: writing it would destroy the input.
/// `output` and each input are a flag and its path.
pub fn refuse_overwriting(output: (&str, &Path), inputs: &[(&str, &Path)]) -> Result<(), String> {
    let (flag, path) = output;
    match inputs.iter().find(|(_, input)| same_file(path, input)) {
        Some((input_flag, _)) => Err(format!(
            "{flag} {}: that is the {input_flag} file, which writing would destroy; \
             expected another path",
            path.display()
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("bp-output-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_target_appears_only_when_committed() {
        let dir = temp_dir("commit");
        let target = dir.join("trace.jsonl");
        std::fs::write(&target, "old\n").unwrap();
        let (output, mut file) = OutputFile::create(&target).unwrap();
        file.write_all(b"new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old\n");
        output.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new\n");
        let (dropped, mut file) = OutputFile::create(&target).unwrap();
        file.write_all(b"half").unwrap();
        drop(dropped);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temp left");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_device_is_written_in_place() {
        let (output, mut file) = OutputFile::create(Path::new("/dev/null")).unwrap();
        file.write_all(b"x").unwrap();
        output.commit().unwrap();
        assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
    }

    #[test]
    fn the_same_file_is_found_through_another_spelling() {
        let dir = temp_dir("same");
        let file = dir.join("s.json");
        std::fs::write(&file, "{}").unwrap();
        let other = dir.join(".").join("s.json");
        assert!(same_file(&file, &other));
        assert!(!same_file(&file, &dir.join("t.json")));
        let err = refuse_overwriting(("--trace", &other), &[("--scenario", &file)]).unwrap_err();
        assert!(err.contains("that is the --scenario file"), "{err}");
        std::fs::remove_dir_all(dir).ok();
    }
}
