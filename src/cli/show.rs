//! `meshplan show`: render a saved plan again, offline, in any of plan's formats; nothing is
//! read from Consul or from the workspace.

use std::process::ExitCode;

use super::saved::SavedPlan;
use super::{Format, plan};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// A plan saved by `meshplan plan --out`
    #[arg(value_name = "PLANFILE")]
    plan: std::path::PathBuf,
    /// How to print the plan: text, markdown (pull-request comments) or json
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(super) format: Format,
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let saved = SavedPlan::read(&args.plan)?;
    plan::print(&saved.plan, args.format)?;
    Ok(ExitCode::SUCCESS)
}
