//! The plan as JSON: the serde form of [`Plan`], the same document a saved plan file holds.
//!
//! # Compatibility
//! The document carries `format_version` (now
//! [`FORMAT_VERSION`](crate::plan::FORMAT_VERSION)). Within one version:
//! - fields may be **added** anywhere (a new optional field, a new `action` or object `type`
//!   value for a new kind of change): readers must ignore fields they do not know;
//! - no field is **removed or renamed**, and no field's meaning or type changes: doing so is
//!   breaking and bumps `format_version`.
//!
//! Readers should check `format_version` and refuse versions they do not know (as
//! `meshplan apply PLANFILE` does). The JSON Schema (`schemas/plan.schema.json`) is generated
//! from the same types.
//!
//! The document never holds a secret: peering tokens are neither planned nor saved; token files
//! appear by path only.

use std::io::{self, Write};

use crate::plan::Plan;

/// Writes `plan` as pretty JSON, with a final newline.
///
/// # Errors
/// When writing to `out` fails.
pub fn render(plan: &Plan, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, plan)?;
    writeln!(out)
}
