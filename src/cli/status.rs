//! `meshplan status`: each peering as both sides see it and each cluster's drift; with
//! `--check`, an exit code for monitoring.

use std::io::Write;
use std::process::ExitCode;

use super::{ReportFormat, WorkspaceArg, validate};
use crate::consul::Env;
use crate::status::{self, DEFAULT_MAX_HEARTBEAT_AGE, text};
use crate::workspace;

/// The exit code of `--check` when a problem was found (Nagios' CRITICAL).
const CHECK_FAILED: u8 = 2;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    workspace: WorkspaceArg,
    /// How to print the status: text or json
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Exit 2 when a peering side is not ACTIVE, a heartbeat is too old, a cluster cannot be
    /// read or a plan would change anything; 0 when all is well, 1 on error
    #[arg(long)]
    check: bool,
    /// With --check, the oldest a peering's last heartbeat may be
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_MAX_HEARTBEAT_AGE)]
    max_heartbeat_age: u64,
}

impl Args {
    /// The `format_version` of the JSON status prints, if it prints JSON: errors use it too.
    pub(super) fn json_version(&self) -> Option<u32> {
        (self.format == ReportFormat::Json).then_some(crate::status::FORMAT_VERSION)
    }
}

pub(super) async fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let desired = match workspace::load(&args.workspace.dir) {
        Ok(desired) => desired,
        Err(failure) => {
            validate::print_failure(&failure)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let observed = status::observe(&desired, &Env::from_process()).await;
    let status = status::assess(&desired, &observed, args.max_heartbeat_age);
    let mut stdout = anstream::stdout();
    match args.format {
        ReportFormat::Text => {
            let options = text::Options {
                color: true,
                check: args.check,
            };
            text::render(&status, &mut stdout, options)?;
        }
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &status)?;
            writeln!(stdout)?;
        }
    }
    stdout.flush()?;
    Ok(if args.check && !status.healthy() {
        ExitCode::from(CHECK_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}
