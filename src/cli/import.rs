//! `meshplan import`: read clusters of the workspace and write what they hold into its files.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::ValueEnum;

use super::{WorkspaceArg, clusters, validate};
use crate::consul::refresh;
use crate::import::{self, EntryFormat, Import, Outcome, Request};
use crate::workspace::{self, discover};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    workspace: WorkspaceArg,
    /// Import this cluster's peerings and config entries (repeatable)
    #[arg(long = "cluster", value_name = "NAME", required = true)]
    clusters: Vec<String>,
    /// Config-entry kind to import (repeatable); default: exported-services and
    /// service-intentions
    #[arg(long = "kind", value_name = "KIND")]
    kinds: Vec<String>,
    /// The format of the config-entry files written
    #[arg(long, value_enum, default_value_t = FileFormat::Hcl)]
    format: FileFormat,
    /// Print what would be written, and write nothing
    #[arg(long)]
    dry_run: bool,
    /// Replace config-entry files that exist
    #[arg(long)]
    force: bool,
}

/// The formats of the config-entry files `import` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FileFormat {
    /// Consul's HCL, as `consul config write` reads it.
    Hcl,
    Toml,
    Json,
}

impl From<FileFormat> for EntryFormat {
    fn from(format: FileFormat) -> Self {
        match format {
            FileFormat::Hcl => Self::Hcl,
            FileFormat::Toml => Self::Toml,
            FileFormat::Json => Self::Json,
        }
    }
}

pub(super) async fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let root = &args.workspace.dir;
    let kinds: BTreeSet<String> = if args.kinds.is_empty() {
        import::DEFAULT_KINDS
            .iter()
            .map(|&k| k.to_owned())
            .collect()
    } else {
        args.kinds.iter().cloned().collect()
    };
    let unknown = import::unknown_kinds(&kinds);
    if !unknown.is_empty() {
        bail!("{}", unknown.join("\n"));
    }
    let desired = match workspace::load(root) {
        Ok(desired) => desired,
        Err(failure) => {
            validate::print_failure(&failure)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let discover::WorkspaceFile::One(path, format) = discover::workspace_file(root) else {
        bail!("`{}` has no single workspace file", root.display());
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    clusters::select(&desired, &args.clusters)?;
    // Every cluster is read: the other side of a peering may be on any of them.
    let all = desired.clusters.keys().cloned().collect();
    let clients = clusters::clients(&desired, &all)?;
    let live = refresh::refresh(&clients, &desired).await?;
    let request = Request {
        clusters: args.clusters.iter().cloned().collect(),
        kinds,
        format: args.format.into(),
    };
    let file = import::WorkspaceFile {
        path: path.strip_prefix(root).unwrap_or(&path),
        format,
        text: &text,
    };
    let import = import::plan(&desired, &file, &live, &request)?;
    let mut stderr = anstream::stderr();
    for note in &import.notes {
        writeln!(stderr, "note: {note}")?;
    }
    if args.dry_run {
        print(&import, text.len())?;
        writeln!(
            stderr,
            "{}; nothing was written (--dry-run).",
            summary("Would import", &import)
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    match import::write(root, &import, args.force)? {
        Outcome::Written => {
            writeln!(stderr, "{}.", summary("Imported", &import))?;
            for file in import.files.iter().chain(&import.workspace_file) {
                writeln!(stderr, "  {}", file.path.display())?;
            }
            if !import.files.is_empty() || import.peerings > 0 {
                writeln!(
                    stderr,
                    "Next: `meshplan plan` shows each imported object as an adopt."
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Outcome::WouldOverwrite(existing) => {
            writeln!(
                stderr,
                "error: these files exist and would be replaced; nothing was written:"
            )?;
            for path in existing {
                writeln!(stderr, "  {}", path.display())?;
            }
            writeln!(
                stderr,
                "hint: move them away, or replace them with `--force`"
            )?;
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `Imported 3 config entries and 1 peering`.
fn summary(verb: &str, import: &Import) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{verb} {} and {}",
        plural(import.files.len(), "config entry", "config entries"),
        plural(import.peerings, "peering", "peerings")
    )
}

/// `--dry-run`: each file to write, under a header naming it; for the workspace file (`before`
/// bytes long now), only what is appended.
fn print(import: &Import, before: usize) -> anyhow::Result<()> {
    let mut stdout = anstream::stdout();
    if let Some(file) = &import.workspace_file {
        writeln!(stdout, "==> {} (appended) <==", file.path.display())?;
        let appended = file.text.get(before..).unwrap_or(&file.text);
        writeln!(stdout, "{}", appended.trim_start_matches('\n'))?;
    }
    for file in &import.files {
        writeln!(stdout, "==> {} <==", file.path.display())?;
        writeln!(stdout, "{}", file.text)?;
    }
    stdout.flush()?;
    Ok(())
}
