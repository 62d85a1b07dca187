// `sqlx::migrate!` embeds the migration folders at compile time: a new migration file must
// rebuild this crate, which Cargo does not know by itself.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
