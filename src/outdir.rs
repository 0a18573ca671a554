//! Output folders: the one rule every command that writes a folder (`run`, `order`, `sweep`, `merge`)
//! follows, so that flowgap never loses a user's file.
//!
//! * flowgap replaces only what it made. Every folder it writes holds [`MANIFEST`], the list of the files
//!   it wrote there, with the kind of output and the scenario. A folder holding anything not on that
//!   list (a user's notes, a file under `figures/`) is refused, `--force` or not (exit 2), naming the
//!   foreign files; so is a folder without a manifest. Another scenario's (or another command's) output
//!   is replaced only with `--force`.
//! * `--out` must name a folder: an existing regular file, FIFO, device, socket, symbolic link or mount
//!   point is refused untouched (exit 2). `..` and links in the path's ancestors are resolved first, so
//!   `nothere/../victim` is checked as `victim`.
//! * Everything is written into a staging folder beside the target, which replaces it by rename at the
//!   end ([`Claim::commit`]): a kill, a full disk or an error leaves the previous output whole (or none).
//! * While a command writes, it holds a lock beside the target (`flock`, released by the kernel when the
//!   process dies): a second command into the same folder is refused at once as "in use" (exit 2).
//! * The strays a killed command leaves beside the target (staging folder, a previous output moved
//!   aside, the lock file) are cleaned up by the next command into the same folder.
//!
//! The check comes first: a command claims its folder before it computes anything.

use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// The list of files flowgap wrote into an output folder, with their kind and scenario.
pub const MANIFEST: &str = ".flowgap-manifest.json";

/// The largest manifest read back (a sweep's is a few lines; a run's lists a few files per method).
const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// How many foreign files a refusal names.
const NAMED: usize = 5;

/// What a folder holds: the command that wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `flowgap run`.
    Run,
    /// `flowgap sweep` (a whole sweep or one shard) and `flowgap merge`.
    Sweep,
    /// `flowgap order`.
    Order,
}

impl Kind {
    /// The name stored in the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::Sweep => "sweep",
            Kind::Order => "order",
        }
    }

    /// The kind named `name` in a manifest.
    fn from_name(name: &str) -> Option<Kind> {
        [Kind::Run, Kind::Sweep, Kind::Order]
            .into_iter()
            .find(|k| k.name() == name)
    }

    /// What a folder of this kind holds, in words.
    fn holds(self) -> &'static str {
        match self {
            Kind::Run => "the results",
            Kind::Sweep => "the sweep",
            Kind::Order => "the order study",
        }
    }
}

/// A refusal to write into `shown` (the path as the user gave it): bad input, exit 2.
fn occupied(shown: &Path, why: impl Into<String>) -> Error {
    Error::OutputOccupied {
        dir: shown.to_path_buf(),
        why: why.into(),
    }
}

/// Checks, without changing anything, that `out` may receive an output of `kind` for `scenario`: see
/// the module's rules. Commands that write call [`Claim::new`], which checks the same; this is for a
/// command that wants the verdict alone.
pub fn check(out: &Path, kind: Kind, scenario: &str, force: bool) -> Result<()> {
    let target = resolve(out)?;
    check_target(&target, out, kind, scenario, force)
}

/// The folder `out` names, absolute, with `.`, `..` and links among its ancestors resolved (a missing
/// ancestor's `..` is resolved lexically: `nothere/../victim` is `victim`). The last component is not
/// followed, so that a link there can be refused.
pub fn resolve(out: &Path) -> Result<PathBuf> {
    let components: Vec<Component> = out.components().collect();
    let Some(Component::Normal(leaf)) = components.last() else {
        return Err(occupied(
            out,
            "--out must end in a folder's name (not `.`, `..` or `/`)",
        ));
    };
    let mut cur = if out.is_absolute() {
        PathBuf::new()
    } else {
        std::env::current_dir().map_err(|e| Error::io(".", e))?
    };
    for c in &components[..components.len() - 1] {
        match c {
            Component::Prefix(_) | Component::RootDir => cur.push(c.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                cur.pop();
            }
            Component::Normal(name) => {
                let next = cur.join(name);
                cur = match std::fs::symlink_metadata(&next) {
                    Ok(m) if m.file_type().is_symlink() => {
                        let to = std::fs::canonicalize(&next)
                            .map_err(|_| occupied(out, format!("{} is a link to nothing", next.display())))?;
                        if !to.is_dir() {
                            return Err(occupied(out, format!("{} is not a folder", next.display())));
                        }
                        to
                    }
                    Ok(m) if !m.is_dir() => {
                        return Err(occupied(out, format!("{} is not a folder", next.display())))
                    }
                    _ => next,
                };
            }
        }
    }
    Ok(cur.join(leaf))
}

/// The manifest: what flowgap wrote into a folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Manifest {
    /// Always "flowgap".
    written_by: String,
    /// [`Kind::name`].
    kind: String,
    /// The scenario's name.
    scenario: String,
    /// Every file and folder written, relative to the folder, `/`-separated (a folder ends in `/`),
    /// sorted.
    files: Vec<String>,
}

/// Reads the manifest of `dir`; `Ok(None)` when there is none.
fn read_manifest(dir: &Path, shown: &Path) -> Result<Option<Manifest>> {
    let path = dir.join(MANIFEST);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
        Ok(m) if !m.is_file() => return Ok(None),
        Ok(_) => {}
    }
    let damaged = || {
        occupied(
            shown,
            format!("its {MANIFEST} (the list of files flowgap wrote there) is damaged; choose another --out folder"),
        )
    };
    let bytes = crate::files::read_limited(&path, MAX_MANIFEST_BYTES).map_err(|_| damaged())?;
    let m: Manifest = serde_json::from_slice(&bytes).map_err(|_| damaged())?;
    if m.written_by != "flowgap" || Kind::from_name(&m.kind).is_none() {
        return Err(damaged());
    }
    Ok(Some(m))
}

/// The entries under `dir` that flowgap did not write (`files` are the manifest's), relative, sorted; a
/// foreign folder is named once with a trailing `/`. Links are never followed.
fn foreign_entries(dir: &Path, files: &BTreeSet<String>) -> Result<Vec<String>> {
    // A folder is flowgap's when it holds a listed file or is listed itself (`figures/`, empty when a
    // scenario asks for no figures).
    let folders: BTreeSet<String> = files
        .iter()
        .flat_map(|f| {
            f.match_indices('/')
                .map(|(i, _)| f[..i].to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut foreign = Vec::new();
    let mut todo = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, prefix)) = todo.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
            let entry = entry.map_err(|e| Error::io(&d, e))?;
            let rel = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let t = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
            if t.is_dir() && folders.contains(&rel) {
                todo.push((entry.path(), format!("{rel}/")));
            } else if t.is_dir() {
                foreign.push(format!("{rel}/"));
            } else if !(t.is_file() && (files.contains(&rel) || rel == MANIFEST)) {
                foreign.push(rel);
            }
        }
    }
    foreign.sort();
    Ok(foreign)
}

/// `a, b, c and 4 more`.
fn name_some(names: &[String]) -> String {
    let mut s = names
        .iter()
        .take(NAMED)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > NAMED {
        s.push_str(&format!(" and {} more", names.len() - NAMED));
    }
    s
}

/// The rule, applied to the resolved `target`: see the module's documentation.
fn check_target(target: &Path, shown: &Path, kind: Kind, scenario: &str, force: bool) -> Result<()> {
    let meta = match std::fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(target, e)),
        Ok(m) => m,
    };
    check_is_folder(target, shown, &meta)?;
    let mut entries = std::fs::read_dir(target).map_err(|e| Error::io(target, e))?;
    if entries.next().is_none() {
        return Ok(());
    }
    let manifest = check_contents(target, shown)?;
    let previous = Kind::from_name(&manifest.kind).unwrap_or(kind);
    if (previous != kind || manifest.scenario != scenario) && !force {
        let command = if previous == kind {
            String::new()
        } else {
            format!(" (`flowgap {}`)", previous.name())
        };
        return Err(occupied(
            shown,
            format!(
                "it holds {} of scenario `{}`{command}; pass --force to replace them",
                previous.holds(),
                manifest.scenario,
            ),
        ));
    }
    Ok(())
}

/// Refuses a target that is not a plain folder: a link (never written through), a file, FIFO, device
/// or socket, or a mount point (a rename cannot replace it).
fn check_is_folder(target: &Path, shown: &Path, meta: &std::fs::Metadata) -> Result<()> {
    if meta.file_type().is_symlink() {
        let to = std::fs::read_link(target).unwrap_or_default();
        return Err(occupied(
            shown,
            format!(
                "it is a symbolic link (to {}); flowgap does not write through links and leaves this one untouched: give the folder itself as --out, or choose another",
                to.display()
            ),
        ));
    }
    if !meta.is_dir() {
        return Err(occupied(
            shown,
            format!(
                "it is {}, not a folder; flowgap writes only into a folder it made, and leaves this untouched: choose another --out",
                crate::files::kind_name(meta)
            ),
        ));
    }
    let parent = target.parent().and_then(|p| std::fs::metadata(p).ok());
    if parent.is_some_and(|p| p.dev() != meta.dev()) {
        return Err(occupied(
            shown,
            "it is a mount point, which flowgap cannot replace; give a folder inside it",
        ));
    }
    Ok(())
}

/// The manifest of the non-empty folder `target`, refused unless everything in the folder is on it.
fn check_contents(target: &Path, shown: &Path) -> Result<Manifest> {
    let Some(manifest) = read_manifest(target, shown)? else {
        let all = name_some(&foreign_entries(target, &BTreeSet::new())?);
        if target.join(crate::formats::SUMMARY).is_file() {
            // Most likely the output of a flowgap from before manifests: its files cannot be told from
            // a user's, so it is not replaced either.
            return Err(occupied(
                shown,
                format!(
                    "it has no {MANIFEST} (the list of the files flowgap wrote), so flowgap cannot tell its files from yours ({all}); if it is the output of an older flowgap, delete it or move it away, or choose another --out"
                ),
            ));
        }
        return Err(occupied(
            shown,
            format!(
                "it holds files flowgap did not write ({all}); flowgap replaces only what it made, --force or not: choose another --out"
            ),
        ));
    };
    let files: BTreeSet<String> = manifest.files.iter().cloned().collect();
    let foreign = foreign_entries(target, &files)?;
    if !foreign.is_empty() {
        return Err(occupied(
            shown,
            format!(
                "it holds files flowgap did not write ({}); flowgap replaces only what it made, --force or not: move them away or choose another --out",
                name_some(&foreign)
            ),
        ));
    }
    Ok(manifest)
}

/// The start of the names of the strays beside a target named `leaf`: `.<leaf>`, or, when that would not
/// leave room for a suffix within the 255-byte limit of a name, `.<first 200 bytes>~<hash of leaf>`.
fn stray_stem(leaf: &OsStr) -> OsString {
    const ROOM: usize = 255 - 24; // the leading dot, ".staging-" and a pid fit in 24 bytes
    let bytes = leaf.as_bytes();
    let mut stem = vec![b'.'];
    if bytes.len() < ROOM {
        stem.extend_from_slice(bytes);
    } else {
        // FNV-1a: stable across builds, so a later run finds an earlier one's strays.
        let hash = bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| {
            (h ^ b as u64).wrapping_mul(0x100000001b3)
        });
        stem.extend_from_slice(&bytes[..200]);
        stem.extend_from_slice(format!("~{hash:016x}").as_bytes());
    }
    OsString::from_vec(stem)
}

/// The infix of a staging folder, `<stem>.staging-<pid>`.
const STAGING: &str = ".staging-";

/// The infix of a previous output moved aside during the swap, `<stem>.old-<pid>`.
const OLD: &str = ".old-";

/// The suffix of the lock file, `<stem>.lock`.
const LOCK: &str = ".lock";

/// `<stem><infix>`.
fn with_suffix(stem: &OsStr, infix: &str) -> OsString {
    let mut s = stem.to_os_string();
    s.push(infix);
    s
}

/// An output folder claimed for writing: checked, locked, and with a fresh staging folder beside it.
/// Write into [`Claim::staging`], then [`Claim::commit`]. Dropped without a commit (an error), it
/// removes the staging folder and any ancestor folder it created, so nothing is left.
#[derive(Debug)]
pub struct Claim {
    shown: PathBuf,
    target: PathBuf,
    parent: PathBuf,
    stem: OsString,
    staging: PathBuf,
    lock: Option<(PathBuf, std::fs::File)>,
    created: Vec<PathBuf>,
    kind: Kind,
    scenario: String,
    force: bool,
}

impl Claim {
    /// Claims `out` for an output of `kind` for `scenario`: applies the rule (see the module), creates
    /// missing ancestors, takes the lock (a folder in use is refused), cleans up the strays of killed
    /// commands, checks again under the lock, and creates an empty staging folder.
    pub fn new(out: &Path, kind: Kind, scenario: &str, force: bool) -> Result<Claim> {
        let target = resolve(out)?;
        check_target(&target, out, kind, scenario, force)?;
        let parent = target
            .parent()
            .expect("resolved paths end in a name")
            .to_path_buf();
        let leaf = target.file_name().expect("resolved paths end in a name");
        let stem = stray_stem(leaf);
        let staging = parent.join(with_suffix(&stem, &format!("{STAGING}{}", std::process::id())));
        let mut claim = Claim {
            shown: out.to_path_buf(),
            target,
            parent,
            stem,
            staging,
            lock: None,
            created: Vec::new(),
            kind,
            scenario: scenario.to_string(),
            force,
        };
        claim.create_ancestors()?;
        claim.lock()?;
        claim.recover_strays();
        check_target(&claim.target, out, kind, scenario, force)?;
        if std::fs::symlink_metadata(&claim.staging).is_ok() {
            std::fs::remove_dir_all(&claim.staging).map_err(|e| Error::io(&claim.staging, e))?;
        }
        std::fs::create_dir(&claim.staging).map_err(|e| Error::io(&claim.shown, e))?;
        Ok(claim)
    }

    /// The folder to write into; it replaces the target at [`Claim::commit`].
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// What this claim has put beside the output folder so far (the staging folder, then the lock
    /// file), for a Ctrl-C handler to remove with [`remove_leftovers`] before the process exits.
    pub fn leftovers(&self) -> Vec<PathBuf> {
        let mut paths = vec![self.staging.clone()];
        paths.extend(self.lock.as_ref().map(|(path, _)| path.clone()));
        paths
    }

    /// The output folder as the user named it.
    pub fn shown(&self) -> &Path {
        &self.shown
    }

    /// `e` with a path inside the staging folder replaced by the same path in the output folder as the
    /// user named it, so that a message (a full disk) names the place the user knows.
    pub fn relocate(&self, e: Error) -> Error {
        match e {
            Error::Io { path, source } => Error::Io {
                path: self.shown_path(&path),
                source,
            },
            other => other,
        }
    }

    /// `path` under the staging folder, as the same path under the output folder the user named.
    fn shown_path(&self, path: &Path) -> PathBuf {
        match path.strip_prefix(&self.staging) {
            Ok(rest) if rest.as_os_str().is_empty() => self.shown.clone(),
            Ok(rest) => self.shown.join(rest),
            Err(_) => path.to_path_buf(),
        }
    }

    /// Creates the target's missing ancestors, remembering them so that a failure removes them again.
    fn create_ancestors(&mut self) -> Result<()> {
        let mut missing = Vec::new();
        let mut p = self.parent.clone();
        while std::fs::symlink_metadata(&p).is_err() {
            missing.push(p.clone());
            if !p.pop() {
                break;
            }
        }
        for dir in missing.into_iter().rev() {
            match std::fs::create_dir(&dir) {
                Ok(()) => self.created.push(dir),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io(&dir, e)),
            }
        }
        Ok(())
    }

    /// Takes the lock `<stem>.lock` beside the target with `flock`, which the kernel releases when the
    /// process ends however it ends, so a killed command never leaves the folder locked.
    fn lock(&mut self) -> Result<()> {
        use std::io::{Read, Seek, Write};
        use std::os::fd::AsRawFd;
        let path = self.parent.join(with_suffix(&self.stem, LOCK));
        loop {
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| Error::io(&path, e))?;
            // SAFETY: flock on a file descriptor this function owns; no memory is involved.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::WouldBlock {
                    return Err(Error::io(&path, e));
                }
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let who = match pid.trim() {
                    "" => "another flowgap".to_string(),
                    pid => format!("another flowgap (process {pid})"),
                };
                return Err(occupied(
                    &self.shown,
                    format!("it is in use by {who}; wait for it to finish or choose another --out"),
                ));
            }
            // The holder before us unlinks the file before it unlocks: if the name no longer leads to
            // the file we locked, someone else may lock a new one, so start again.
            let same = match (file.metadata(), std::fs::symlink_metadata(&path)) {
                (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
                _ => false,
            };
            if !same {
                continue;
            }
            let io = |e| Error::io(&path, e);
            file.set_len(0).map_err(io)?;
            file.rewind().map_err(io)?;
            write!(file, "{}", std::process::id()).map_err(io)?;
            self.lock = Some((path, file));
            return Ok(());
        }
    }

    /// Cleans up after commands into this target that were killed: their staging folders are deleted,
    /// and a previous output moved aside but never replaced (killed between the two renames) is put
    /// back. We hold the lock, so no live flowgap is writing these; folders named after a live process
    /// are still left alone (a flowgap from before the lock, or a reused pid).
    fn recover_strays(&self) {
        let Ok(entries) = std::fs::read_dir(&self.parent) else {
            return;
        };
        let stem = self.stem.as_bytes();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(rest) = name.as_bytes().strip_prefix(stem) else {
                continue;
            };
            let Ok(rest) = std::str::from_utf8(rest) else {
                continue;
            };
            let (tag, pid) = if let Some(pid) = rest.strip_prefix(STAGING) {
                (STAGING, pid)
            } else if let Some(pid) = rest.strip_prefix(OLD) {
                (OLD, pid)
            } else {
                continue;
            };
            let Ok(pid) = pid.parse::<u32>() else { continue };
            if pid == std::process::id() || process_alive(pid) {
                continue;
            }
            let path = entry.path();
            let gone = std::fs::symlink_metadata(&self.target).is_err();
            if tag == OLD && gone && path.join(MANIFEST).is_file() {
                let _ = std::fs::rename(&path, &self.target);
            } else {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    }

    /// Records every file of the staging folder in its manifest and puts it in place of the target
    /// (checked once more: files a user added meanwhile are never deleted). Returns `written` (paths in
    /// the staging folder) as paths in the output folder as the user named it.
    pub fn commit(mut self, written: Vec<PathBuf>) -> Result<Vec<PathBuf>> {
        self.write_manifest()?;
        check_target(&self.target, &self.shown, self.kind, &self.scenario, self.force)?;
        let old = self
            .parent
            .join(with_suffix(&self.stem, &format!("{OLD}{}", std::process::id())));
        let had = std::fs::symlink_metadata(&self.target).is_ok();
        if had {
            std::fs::rename(&self.target, &old).map_err(|e| Error::io(&self.shown, e))?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.target) {
            if had {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(Error::io(&self.shown, e));
        }
        self.created.clear();
        if had {
            // The new output is in place; failing to delete the old one leaves a stray the next
            // command into this folder removes.
            let _ = std::fs::remove_dir_all(&old);
        }
        Ok(written.iter().map(|p| self.shown_path(p)).collect())
    }

    /// Writes the manifest: every regular file and folder under the staging folder.
    fn write_manifest(&self) -> Result<()> {
        let mut files = Vec::new();
        let mut todo = vec![(self.staging.clone(), String::new())];
        while let Some((d, prefix)) = todo.pop() {
            for entry in std::fs::read_dir(&d).map_err(|e| self.relocate(Error::io(&d, e)))? {
                let entry = entry.map_err(|e| self.relocate(Error::io(&d, e)))?;
                let rel = format!("{prefix}{}", entry.file_name().to_string_lossy());
                let t = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
                if t.is_dir() {
                    files.push(format!("{rel}/"));
                    todo.push((entry.path(), format!("{rel}/")));
                } else if rel != MANIFEST {
                    files.push(rel);
                }
            }
        }
        files.sort();
        let manifest = Manifest {
            written_by: "flowgap".into(),
            kind: self.kind.name().into(),
            scenario: self.scenario.clone(),
            files,
        };
        let text = serde_json::to_string_pretty(&manifest).expect("plain data always serialises");
        let path = self.staging.join(MANIFEST);
        std::fs::write(&path, text + "\n").map_err(|e| self.relocate(Error::io(&path, e)))
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if std::fs::symlink_metadata(&self.staging).is_ok() {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
        // Unlink before unlocking (closing): see `lock`.
        if let Some((path, file)) = self.lock.take() {
            let _ = std::fs::remove_file(&path);
            drop(file);
        }
        for dir in self.created.iter().rev() {
            let _ = std::fs::remove_dir(dir); // only if still empty
        }
    }
}

/// Removes what [`Claim::leftovers`] listed: for a process about to exit on Ctrl-C while another thread
/// may still be writing into the staging folder (hence the retries). A previous output moved aside
/// mid-swap is left for the next command to put back.
pub fn remove_leftovers(paths: &[PathBuf]) {
    for path in paths {
        for _ in 0..5 {
            let gone = match std::fs::symlink_metadata(path) {
                Err(_) => true,
                Ok(m) if m.is_dir() => std::fs::remove_dir_all(path).is_ok(),
                Ok(_) => std::fs::remove_file(path).is_ok(),
            };
            if gone {
                break;
            }
        }
    }
}

/// Adds `files` (paths inside `dir`) to the manifest of `dir`, a folder flowgap made: for a command that
/// adds files to an existing output (`flowgap plot` redrawing figures), so that they count as
/// flowgap's at the next run. Refuses a folder without a manifest.
pub fn record(dir: &Path, files: &[PathBuf]) -> Result<()> {
    let Some(mut manifest) = read_manifest(dir, dir)? else {
        return Err(occupied(
            dir,
            format!("it has no {MANIFEST}: flowgap did not make it"),
        ));
    };
    for f in files {
        let rel = f.strip_prefix(dir).unwrap_or(f);
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        manifest.files.push(rel.join("/"));
    }
    manifest.files.sort();
    manifest.files.dedup();
    let text = serde_json::to_string_pretty(&manifest).expect("plain data always serialises");
    crate::files::write_atomic(&dir.join(MANIFEST), (text + "\n").as_bytes())
}

/// Whether flowgap wrote `rel` (a `/`-separated path inside `dir`) by its manifest; `None` when `dir`
/// has none (an older flowgap's output). For commands that replace single files of an output
/// (`flowgap plot`), which must leave a file of the user's alone.
pub fn wrote(dir: &Path, rel: &str) -> Result<Option<bool>> {
    Ok(read_manifest(dir, dir)?.map(|m| m.files.iter().any(|f| f == rel)))
}

/// True unless `pid` is known to be gone. Only Linux's /proc says so; elsewhere every stray is kept
/// (a hidden folder beside the output, harmless).
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_takes_dotdot_of_a_missing_folder_lexically() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(
            resolve(&root.join("nothere/../victim")).unwrap(),
            root.join("victim")
        );
        std::fs::create_dir(root.join("real")).unwrap();
        std::os::unix::fs::symlink(root.join("real"), root.join("link")).unwrap();
        assert_eq!(resolve(&root.join("link/out")).unwrap(), root.join("real/out"));
        // The last component is kept as it is, link or not.
        assert_eq!(resolve(&root.join("link")).unwrap(), root.join("link"));
        assert!(resolve(Path::new("..")).is_err());
        assert!(resolve(Path::new("")).is_err());
    }

    #[test]
    fn files_recorded_later_count_as_flowgaps() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("res");
        let claim = Claim::new(&out, Kind::Run, "s", false).unwrap();
        std::fs::create_dir(claim.staging().join("figures")).unwrap();
        std::fs::write(claim.staging().join("summary.json"), "{}").unwrap();
        let written = claim.commit(vec![]).unwrap();
        assert!(written.is_empty());
        check(&out, Kind::Run, "s", false).unwrap();
        // A file added by another command is foreign until it is recorded.
        let added = out.join("figures/loss.svg");
        std::fs::write(&added, "<svg/>").unwrap();
        let e = check(&out, Kind::Run, "s", true).unwrap_err();
        assert!(
            e.is_bad_input() && e.to_string().contains("figures/loss.svg"),
            "{e}"
        );
        record(&out, &[added]).unwrap();
        check(&out, Kind::Run, "s", false).unwrap();
        // Another scenario needs force; a folder without a manifest cannot be recorded into.
        assert!(check(&out, Kind::Run, "t", false).is_err());
        check(&out, Kind::Run, "t", true).unwrap();
        assert!(record(dir.path(), &[]).is_err());
        // Nothing beside the folder.
        let beside: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(beside.len(), 1);
    }

    #[test]
    fn stray_names_fit_the_name_limit_and_differ_for_long_names() {
        let a = "a".repeat(250);
        let b = format!("{}b", "a".repeat(249));
        let (sa, sb) = (stray_stem(OsStr::new(&a)), stray_stem(OsStr::new(&b)));
        assert_ne!(sa, sb);
        assert!(sa.len() + format!("{STAGING}{}", u32::MAX).len() <= 255);
        assert_eq!(stray_stem(OsStr::new("res")), OsString::from(".res"));
    }
}
