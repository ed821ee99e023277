/// Thousands of connections on a few threads allocate and free small buffers all the time;
/// mimalloc's per-thread pages do that for less CPU than glibc's arenas (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    service_registry::cli::main()
}
