fn main() {
    std::process::exit(stackfit::cli::main());
}
