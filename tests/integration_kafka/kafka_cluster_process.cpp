// prequal-kafka-mock child process: fork/exec with pipes on stdin and stdout (stderr is inherited).
#include "kafka_cluster_process.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace prequal::test {

namespace {

std::string fixture_path() {
    const char* env = std::getenv("PREQUAL_KAFKA_MOCK");  // overrides the fixture built beside this test
    return env ? env : PREQUAL_KAFKA_MOCK_PATH;
}

}  // namespace

kafka_cluster_process::kafka_cluster_process(int brokers, int partitions) {
    int in[2];
    int out[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    std::vector<std::string> args{fixture_path(), "--brokers", std::to_string(brokers), "--partitions",
                                  std::to_string(partitions)};
    pid_ = ::fork();
    if (pid_ == 0) {
        ::dup2(in[0], STDIN_FILENO);
        ::dup2(out[1], STDOUT_FILENO);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_child_ = in[1];
    from_child_ = out[0];
    const std::string first = read_line();
    INFO("fixture said: " << first);
    REQUIRE(first.rfind("BOOTSTRAP=", 0) == 0);
    bootstrap_ = first.substr(10);
}

kafka_cluster_process::~kafka_cluster_process() {
    if (to_child_ >= 0) ::close(to_child_);  // EOF: the fixture exits cleanly
    if (pid_ > 0) {
        for (int i = 0; i < 100; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            ::usleep(50'000);
        }
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    if (from_child_ >= 0) ::close(from_child_);
}

std::string kafka_cluster_process::command(const std::string& line) {
    const std::string text = line + "\n";
    REQUIRE(::write(to_child_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    return read_line();
}

std::string kafka_cluster_process::read_line() {
    for (int waited_ms = 0; waited_ms < 30'000;) {
        const auto nl = buffer_.find('\n');
        if (nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return line;
        }
        pollfd p{from_child_, POLLIN, 0};
        const int r = ::poll(&p, 1, 100);
        if (r == 0) {
            waited_ms += 100;
            continue;
        }
        char chunk[512];
        const ssize_t n = ::read(from_child_, chunk, sizeof chunk);
        if (n <= 0) FAIL("prequal-kafka-mock closed its stdout");
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    FAIL("prequal-kafka-mock did not answer within 30 s");
    return {};
}

}  // namespace prequal::test
