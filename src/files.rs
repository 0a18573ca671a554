//! Reading and writing files without surprises: what flowgap reads must be a regular file of bounded
//! size (a FIFO, a device or `/dev/zero` is refused at once instead of blocking or growing without
//! bound), and what it writes appears whole or not at all (written beside its place, then renamed).
//!
//! Every command reads its inputs (scenario files, data, saved runs, golden files, sweep parts) through
//! [`read_limited`] or [`open_regular`], and writes single files through [`write_atomic`].

use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The largest scenario file read (a scenario is a few kilobytes; this bounds the parser's time and memory).
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// The largest data file (CSV) read.
pub const MAX_DATA_BYTES: u64 = 256 << 20;

/// The largest saved file read back (summary.json, a trajectory CSV or NPY, a golden file, a sweep part).
pub const MAX_SAVED_BYTES: u64 = 4 << 30;

/// A refusal of an input file: bad input (exit 2), naming the file and what is wrong.
pub fn input_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Input {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// What kind of thing `meta` (from `symlink_metadata` or `metadata`) describes, in words for a message.
pub fn kind_name(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_file() {
        "a file"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading if it is a regular file (links are followed) of at most `max_bytes` as
/// the file system reports it. Anything else is refused without opening it, so a FIFO never blocks.
/// Files whose reported size is not their content (under /proc) are bounded by the caller reading at
/// most `max_bytes + 1` bytes, as [`read_limited`] does.
pub fn open_regular(path: &Path, max_bytes: u64) -> Result<std::fs::File> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(input_error(
            path,
            format!("is {}; flowgap reads regular files only", kind_name(&meta)),
        ));
    }
    if meta.len() > max_bytes {
        return Err(too_large(path, max_bytes));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    // The path may have been swapped between the two looks; the open file is what counts.
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(input_error(
            path,
            format!("is {}; flowgap reads regular files only", kind_name(&meta)),
        ));
    }
    Ok(file)
}

fn too_large(path: &Path, max_bytes: u64) -> Error {
    input_error(
        path,
        format!(
            "is larger than the {} flowgap reads from such a file",
            bytes_text(max_bytes)
        ),
    )
}

/// `max_bytes` in words: "1 MiB", "256 MiB", "4 GiB", "300 bytes".
pub fn bytes_text(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if n >= size && n % size == 0 {
            return format!("{} {unit}", n / size);
        }
    }
    format!("{n} bytes")
}

/// Reads all of a regular file of at most `max_bytes` (see [`open_regular`]); a file that turns out
/// longer than it said (/proc, a file still growing) is refused once `max_bytes` are read.
pub fn read_limited(path: &Path, max_bytes: u64) -> Result<Vec<u8>> {
    let file = open_regular(path, max_bytes)?;
    let mut bytes = Vec::new();
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(path, max_bytes));
    }
    Ok(bytes)
}

/// [`read_limited`] as UTF-8 text; other bytes are refused with the position of the first bad byte.
pub fn read_text_limited(path: &Path, max_bytes: u64) -> Result<String> {
    let bytes = read_limited(path, max_bytes)?;
    String::from_utf8(bytes).map_err(|e| {
        input_error(
            path,
            format!(
                "is not UTF-8 text (byte {} is not valid UTF-8)",
                e.utf8_error().valid_up_to() + 1
            ),
        )
    })
}

/// Writes `bytes` to `path` as one step: into `.<name>.tmp-<pid>` beside it, flushed to disk, then
/// renamed over `path`. A failure (a full disk, a kill) leaves the old file, never a half-written one;
/// the temporary file is removed on failure. A link at `path` is replaced, never written through.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temporary_beside(path);
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// `.<name>.tmp-<pid>` beside `path`, its name cut so that it fits the file system's 255-byte limit.
fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let suffix = format!(".tmp-{}", std::process::id());
    let mut stem: String = name;
    while 1 + stem.len() + suffix.len() > 255 {
        stem.pop();
    }
    path.with_file_name(format!(".{stem}{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.toml");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let e = read_limited(&fifo, 100).unwrap_err();
        assert!(e.is_bad_input(), "{e}");
        assert!(e.to_string().contains("FIFO"), "{e}");
    }

    #[test]
    fn devices_folders_and_large_files_are_refused() {
        let e = read_limited(Path::new("/dev/zero"), 100).unwrap_err();
        assert!(e.to_string().contains("device"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        assert!(read_limited(dir.path(), 100)
            .unwrap_err()
            .to_string()
            .contains("folder"));
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 101]).unwrap();
        let e = read_limited(&big, 100).unwrap_err();
        assert!(e.is_bad_input() && e.to_string().contains("100 bytes"), "{e}");
        assert_eq!(read_limited(&big, 101).unwrap().len(), 101);
    }

    #[test]
    fn a_proc_file_is_read_up_to_the_limit_only() {
        // /proc files report size 0 but have content: the read itself must stop.
        let e = read_limited(Path::new("/proc/self/maps"), 8).unwrap_err();
        assert!(e.to_string().contains("larger than"), "{e}");
    }

    #[test]
    fn write_atomic_replaces_a_link_instead_of_writing_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let link = dir.path().join("out.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "new");
        assert!(!std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        let long = dir.path().join("n".repeat(250));
        write_atomic(&long, b"x").unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }
}
