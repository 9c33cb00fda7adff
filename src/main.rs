//! The `switchboard` binary: parse arguments, run, map the result to an exit code.

/// jemalloc, with its background threads on, instead of glibc's allocator: see Cargo.toml.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    std::process::exit(switchboard::cli::main());
}
