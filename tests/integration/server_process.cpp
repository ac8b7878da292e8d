// Child-process helpers shared by the crash and fault-injection suites.
#include "server_process.hpp"

#include "http_client.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace prequal::test {

std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

std::string binary_path() {
    const char* env = std::getenv("PREQUAL_BINARY");  // overrides the binary built beside this test
    return env ? env : PREQUAL_BINARY_PATH;
}

std::vector<std::string> memory_serve_args(const std::string& database_url, std::uint16_t port,
                                           const std::string& encryption_keys,
                                           const std::string& pan_index_key) {
    return {binary_path(),
            "serve",
            "--database-url=" + database_url,
            "--listen=127.0.0.1:" + std::to_string(port),
            "--encryption-keys=" + encryption_keys,
            "--pan-index-key=" + pan_index_key,
            "--log-level=warn"};
}

void wait_healthy(std::uint16_t port) {
    for (int i = 0; i < 600; ++i) {
        if (http_request(port, "GET", "/health").status == 200) return;
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    FAIL("server did not become healthy");
}

command_result run_command(const std::vector<std::string>& args) {
    // Both streams go to temporary files: no pipe can fill up and stall the child.
    char out_name[] = "/tmp/prequal-cmd-out-XXXXXX";
    char err_name[] = "/tmp/prequal-cmd-err-XXXXXX";
    const int out_fd = ::mkstemp(out_name);
    const int err_fd = ::mkstemp(err_name);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(out_fd, 1);
        ::dup2(err_fd, 2);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    auto slurp = [](int fd) {
        std::string text;
        ::lseek(fd, 0, SEEK_SET);
        char buf[4096];
        ssize_t n = 0;
        while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
        ::close(fd);
        return text;
    };
    command_result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(out_fd);
    r.err = slurp(err_fd);
    ::unlink(out_name);
    ::unlink(err_name);
    return r;
}

server_process::server_process(std::vector<std::string> args, std::string stderr_file)
    : args_{std::move(args)}, stderr_file_{std::move(stderr_file)} {
    pid_ = ::fork();
    if (pid_ == 0) {
        if (!stderr_file_.empty()) {
            const int fd = ::open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (fd >= 0) ::dup2(fd, 2);
        }
        std::vector<char*> argv;
        for (auto& a : args_) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
}

server_process::~server_process() {
    if (pid_ > 0) {
        kill(SIGKILL);
        wait();
    }
}

void server_process::kill(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
}

int server_process::wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace prequal::test
