fn main() -> std::process::ExitCode {
    service_registry::cli::main()
}
