//! `meshplan schema`: print or write the JSON Schemas generated from the types that parse the
//! files.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::schema;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Write each schema to a file in DIR; without it, all of them are printed on stdout as one
    /// JSON object keyed by file name
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let Some(out) = &args.out else {
        let all: serde_json::Map<String, serde_json::Value> = schema::schemas()
            .into_iter()
            .map(|(name, schema)| (name.to_owned(), schema))
            .collect();
        writeln!(
            anstream::stdout(),
            "{}",
            serde_json::to_string_pretty(&all)?
        )?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(out).with_context(|| format!("cannot create `{}`", out.display()))?;
    for (name, schema) in schema::schemas() {
        let path = out.join(name);
        std::fs::write(&path, schema::to_text(&schema))
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        writeln!(anstream::stdout(), "wrote {}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}
