//! `meshplan schema`: write the JSON Schemas generated from the types that parse the files.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::schema;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Folder to write the schemas to
    #[arg(long, default_value = "schemas")]
    out: PathBuf,
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create `{}`", args.out.display()))?;
    for (name, schema) in schema::schemas() {
        let path = args.out.join(name);
        std::fs::write(&path, schema::to_text(&schema))
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        writeln!(anstream::stdout(), "wrote {}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}
