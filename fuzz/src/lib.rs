//! What the fuzz targets share: the checks (parse or load, then render every diagnostic; read
//! a saved plan, then render it; decode a Consul response) and the way one fuzz input becomes a
//! workspace on disk.
//!
//! A check "fails" only by panicking, which libFuzzer reports as a crash: that is the property
//! under test. `assert!`s state what must hold besides not panicking.

use std::path::{Component, Path, PathBuf};

use meshplan::cli::saved::SavedPlan;
use meshplan::consul::{self, AgentInfo};
use meshplan::render;
use meshplan::workspace::diagnostic::{Diagnostic, Sources, render_json, render_text};
use meshplan::workspace::tree::{self, Format};
use meshplan::workspace::{self, Failure};

/// The file extension meshplan reads `format` from.
pub fn extension(format: Format) -> &'static str {
    match format {
        Format::Hcl | Format::ConsulHcl => "hcl",
        Format::Toml => "toml",
        Format::Json => "json",
    }
}

/// Parses `text`: a tree must convert to JSON; errors must exist and render as the loader
/// would render them, at their spans.
pub fn check_parse(format: Format, text: &str) {
    match tree::parse(format, text) {
        Ok(node) => {
            node.to_json();
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a failed parse reports no error");
            let file = PathBuf::from(format!("input.{}", extension(format)));
            let mut sources = Sources::new();
            sources.insert(&file, text);
            let diagnostics: Vec<Diagnostic> = errors
                .into_iter()
                .map(|error| Diagnostic::error(error.message).at(&file, error.span, ""))
                .collect();
            render(&diagnostics, &sources);
        }
    }
}

/// Loads the workspace in `root`: `Ok`, or `Err` with at least one diagnostic, all of which
/// render as text and JSON.
pub fn check_load(root: &Path) {
    if let Err(Failure {
        diagnostics,
        sources,
    }) = workspace::load(root)
    {
        assert!(!diagnostics.is_empty(), "load failed without a diagnostic");
        render(&diagnostics, &sources);
    }
}

/// Reads `text` as a saved plan (what `show` and `apply PLANFILE` do first). A plan that reads
/// must render as `show` renders it, in every format, and must read again once written back:
/// meshplan reads every plan it writes.
///
/// The seal refuses nearly every mutation, so the content behind it is also read as if it had
/// been sealed again (as anyone editing a plan can): it must render all the same.
pub fn check_saved_plan(text: &str) {
    let path = Path::new("plan.json");
    match SavedPlan::parse(text, path) {
        Ok(saved) => {
            render_saved_plan(&saved);
            let written = saved.to_sealed_text().expect("a saved plan serializes");
            SavedPlan::parse(&written, path).expect("a saved plan reads back");
        }
        Err(_) => {
            if let Ok(saved) = serde_json::from_str::<SavedPlan>(text) {
                render_saved_plan(&saved);
            }
        }
    }
}

/// Renders `saved` in every format `show` has.
fn render_saved_plan(saved: &SavedPlan) {
    let mut out = Vec::new();
    render::text::render(&saved.plan, &mut out, render::text::Options { color: false })
        .expect("renders as text");
    render::text::render(&saved.plan, &mut out, render::text::Options { color: true })
        .expect("renders as coloured text");
    render::markdown::render(&saved.plan, &mut out).expect("renders as markdown");
    render::json::render(&saved.plan, &mut out).expect("renders as JSON");
}

/// The Consul response decoders, in the order of the selector byte of `decode_consul` inputs.
pub const DECODERS: [&str; 5] = [
    "peering-list",
    "peering-read",
    "entry-list",
    "entry-read",
    "agent-self",
];

/// Config-entry kinds an entry list is decoded as (the kind only names the entries' keys).
pub const KINDS: [&str; 5] = [
    "service-intentions",
    "exported-services",
    "service-defaults",
    "proxy-defaults",
    "mesh",
];

/// Decodes `body` as the response `selector` picks ([`DECODERS`], then for entry lists the
/// kind, [`KINDS`], from the byte's higher part), as the client does with a 200 reply's body.
/// Errors are fine; decoded values are used as the planner uses them.
pub fn check_consul(selector: u8, body: &[u8]) {
    let decoder = usize::from(selector) % DECODERS.len();
    let kind = KINDS[usize::from(selector) / DECODERS.len() % KINDS.len()];
    match decoder {
        0 => {
            if let Ok(peerings) = consul::decode::peering_list(body) {
                for peering in peerings {
                    let _ = format!("{peering:?}");
                }
            }
        }
        1 => {
            if let Ok(wire) = consul::decode::peering_read(body) {
                let _ = format!("{:?}", wire.into_live());
            }
        }
        2 => {
            if let Ok(entries) = consul::decode::entry_list(kind, body.to_vec()) {
                for (key, entry) in entries {
                    assert_eq!(key.kind, kind, "an entry's key names the listed kind");
                    serde_json::to_string(&entry.body()).expect("an entry body serializes");
                }
            }
        }
        3 => {
            if let Ok(entry) = consul::decode::entry_read(body) {
                serde_json::to_string(&entry.body()).expect("an entry body serializes");
            }
        }
        _ => {
            if let Ok(info) = AgentInfo::from_agent_self(body) {
                assert_ne!(info.partition.as_deref(), Some(""), "an empty partition is none");
            }
        }
    }
}

fn render(diagnostics: &[Diagnostic], sources: &Sources) {
    render_text(diagnostics, sources, false);
    render_text(diagnostics, sources, true);
    render_json(diagnostics, sources);
}

/// The most files one input may create, so that an input cannot fill the disk.
const MAX_FILES: usize = 16;

/// Splits an input into files. The input is a text-like archive, so that seeds are readable and
/// the fuzzer can change names and extensions as well as contents:
///
/// ```text
/// === meshplan.hcl
/// cluster "cluster-01" {}
/// === cluster-01/exports.toml
/// Kind = "exported-services"
/// ```
///
/// A file's content runs up to the next `\n=== ` line. Names are made safe (relative, no `..`,
/// no empty or hidden-by-accident parts); input before the first header is ignored.
pub fn files(data: &[u8]) -> Vec<(PathBuf, &[u8])> {
    let mut out = Vec::new();
    let mut rest = match data.strip_prefix(b"=== ") {
        Some(rest) => rest,
        None => match find(data, b"\n=== ") {
            Some(at) => &data[at + 5..],
            None => return out,
        },
    };
    loop {
        let name_end = find(rest, b"\n").unwrap_or(rest.len());
        let name = String::from_utf8_lossy(&rest[..name_end]);
        let body_start = (name_end + 1).min(rest.len());
        let body_and_more = &rest[body_start..];
        let (body, next) = match find(body_and_more, b"\n=== ") {
            Some(at) => (&body_and_more[..at + 1], Some(&body_and_more[at + 5..])),
            None => (body_and_more, None),
        };
        if let Some(path) = safe_path(&name) {
            out.push((path, body));
        }
        match next {
            Some(next) if out.len() < MAX_FILES => rest = next,
            _ => return out,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// `name` as a path inside the workspace: at most four normal components, each of at most 64
/// bytes; anything else (`..`, `/etc`, empty) is refused.
fn safe_path(name: &str) -> Option<PathBuf> {
    let path = Path::new(name.trim());
    let parts: Vec<&str> = path
        .components()
        .map(|c| match c {
            Component::Normal(part) => part.to_str().filter(|p| p.len() <= 64),
            _ => None,
        })
        .collect::<Option<_>>()?;
    (!parts.is_empty() && parts.len() <= 4).then(|| parts.iter().collect())
}

/// Writes `files` into a new temporary folder (`TMPDIR`; point it at a tmpfs for speed).
/// A file that cannot be written (its name is also a folder's) is left out.
pub fn write_workspace(files: &[(PathBuf, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    for (rel, bytes) in files {
        let path = dir.path().join(rel);
        if let Some(parent) = path.parent()
            && std::fs::create_dir_all(parent).is_ok()
        {
            let _ = std::fs::write(&path, bytes);
        }
    }
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_splits_into_named_files() {
        let data =
            b"junk\n=== meshplan.hcl\ncluster \"a\" {}\n=== a/x.json\n{}\n=== ../escape\nno\n";
        let files = files(data);
        let names: Vec<_> = files.iter().map(|(p, _)| p.display().to_string()).collect();
        assert_eq!(names, ["meshplan.hcl", "a/x.json"]);
        assert_eq!(files[0].1, b"cluster \"a\" {}\n");
        assert_eq!(files[1].1, b"{}\n");
    }
}
