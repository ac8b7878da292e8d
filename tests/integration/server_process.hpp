// A `prequal serve` child process for crash and load tests: fork/exec of the real binary, signals, exit
// status.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace prequal::test {

/// An unused loopback TCP port (bound and released; good enough for tests).
std::uint16_t free_port();

/// The prequal binary: $PREQUAL_BINARY, else the one built beside the tests (PREQUAL_BINARY_PATH).
std::string binary_path();

/// argv of `prequal serve` on the memory bus against `database_url`, listening on `port`, with the given
/// keys.
std::vector<std::string> memory_serve_args(const std::string& database_url, std::uint16_t port,
                                           const std::string& encryption_keys,
                                           const std::string& pan_index_key);

/// Polls GET /health until 200; REQUIREs that it comes within 30 s.
void wait_healthy(std::uint16_t port);

/// What a finished child wrote and how it ended.
struct command_result {
    int exit_code = -1;  // 128 + signal when a signal ended it
    std::string out;
    std::string err;
};

/// Runs argv (argv[0] = executable path) to completion, capturing stdout and stderr.
command_result run_command(const std::vector<std::string>& args);

/// Runs argv (argv[0] = executable path) as a child; SIGKILLed and reaped on destruction if still running.
class server_process {
public:
    /// `stderr_file`: where the child's stderr (its log) goes; empty = inherited.
    explicit server_process(std::vector<std::string> args, std::string stderr_file = {});
    ~server_process();
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;

    void kill(int sig);
    /// The child's process id (for /proc/PID), or -1 once reaped.
    pid_t pid() const { return pid_; }
    /// Reaps the child: its exit code, or 128 + signal number when a signal ended it.
    int wait();

private:
    std::vector<std::string> args_;
    std::string stderr_file_;
    pid_t pid_ = -1;
};

}  // namespace prequal::test
