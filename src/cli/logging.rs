//! Logs on stderr, with `tracing`: what meshplan does, for people debugging a run and for log
//! shippers. Output for people (plans, reports, diagnostics) never goes through here.
//!
//! The level comes from `RUST_LOG` when it is set (`RUST_LOG=meshplan=debug`), else from the
//! command: warnings for one-shot commands, each `-v` one level more, each `-q` one less.
//! `--log-format json` writes one JSON object per line. `watch`, a daemon, logs what it does
//! (info) by default.
//!
//! Tokens never reach a log line: the token header is marked sensitive (HTTP libraries print it
//! as `Sensitive`), request and response bodies are never logged, and spans record only the
//! fields they name.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum LogFormat {
    /// One line per event, for people.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// The logging flags every command takes.
#[derive(Debug, Clone, Default, clap::Args)]
pub(super) struct LogArgs {
    /// More log detail on stderr (repeatable: -v info, -vv debug, -vvv trace)
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Less log detail on stderr (-q errors only, -qq nothing)
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    quiet: u8,
    /// How log lines are written
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
}

/// Installs the subscriber for this process. `RUST_LOG` wins over the flags; a `daemon` logs
/// what it does (info) by default.
pub(super) fn init(args: &LogArgs, daemon: bool) {
    let filter = match std::env::var_os("RUST_LOG") {
        Some(_) => EnvFilter::from_default_env(),
        // The TLS verifier logs each failed handshake as an error of its own; meshplan reports
        // the failure once, with a hint, so its lines are kept for `-v` and `RUST_LOG`.
        None => {
            let level = level(args, daemon);
            let verifier = if level >= LevelFilter::DEBUG {
                level
            } else {
                LevelFilter::OFF
            };
            EnvFilter::default()
                .add_directive(level.into())
                .add_directive(
                    format!("rustls_platform_verifier={verifier}")
                        .parse()
                        .expect("a valid directive"),
                )
        }
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour())
        .with_target(true);
    // A second init (tests running `run` twice in one process) keeps the first subscriber.
    let _ = match args.log_format {
        LogFormat::Text => builder.compact().without_time().try_init(),
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
    };
}

/// Colour only on a terminal, and never with `NO_COLOR`.
fn colour() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Warnings by default (info for a daemon); `-v` and `-q` move from there.
fn level(args: &LogArgs, daemon: bool) -> LevelFilter {
    const LEVELS: [LevelFilter; 6] = [
        LevelFilter::OFF,
        LevelFilter::ERROR,
        LevelFilter::WARN,
        LevelFilter::INFO,
        LevelFilter::DEBUG,
        LevelFilter::TRACE,
    ];
    let index = 2 + i32::from(daemon) + i32::from(args.verbose) - i32::from(args.quiet);
    LEVELS[index.clamp(0, 5) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(verbose: u8, quiet: u8) -> LogArgs {
        LogArgs {
            verbose,
            quiet,
            log_format: LogFormat::Text,
        }
    }

    fn level_of(args: &LogArgs) -> LevelFilter {
        level(args, false)
    }

    #[test]
    fn warnings_by_default_and_flags_move_the_level() {
        assert_eq!(level_of(&args(0, 0)), LevelFilter::WARN);
        assert_eq!(level_of(&args(1, 0)), LevelFilter::INFO);
        assert_eq!(level_of(&args(3, 0)), LevelFilter::TRACE);
        assert_eq!(level_of(&args(9, 0)), LevelFilter::TRACE);
        assert_eq!(level_of(&args(0, 1)), LevelFilter::ERROR);
        assert_eq!(level_of(&args(0, 5)), LevelFilter::OFF);
        assert_eq!(level(&args(0, 0), true), LevelFilter::INFO);
    }
}
