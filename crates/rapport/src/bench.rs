//! Benchmarks that print a table. Placeholder until the staff-list benchmark lands below.
use anyhow::Result;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// The staff list through the API for a viewer with sub-department scope.
    StaffList,
}

pub async fn run(_command: BenchCommand) -> Result<()> {
    Ok(())
}
