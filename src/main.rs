use clap::Parser;

fn main() {
    let cli = ecs_preflight::cli::Cli::parse();
    std::process::exit(ecs_preflight::app::main(cli));
}
