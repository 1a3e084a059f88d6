use clap::Parser;

// Parsing and checking allocate millions of small values; glibc's allocator spent a third of a
// run on a 10 MB input in malloc and free (see README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = ecs_preflight::cli::Cli::parse();
    std::process::exit(ecs_preflight::app::main(cli));
}
