// The real binary under systemd's readiness protocol (Type=notify): READY=1 once /ready answers 200,
// STOPPING=1 when SIGTERM starts the drain. The test plays systemd: it binds the datagram socket and names it
// in NOTIFY_SOCKET for the child.
#include "http_client.hpp"
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

using namespace prequal::test;

namespace {

/// A bound AF_UNIX datagram socket at a fresh path, standing in for systemd's notification socket.
class notify_socket {
public:
    notify_socket()
        : path_{std::filesystem::temp_directory_path() / ("prequal-notify-" + std::to_string(::getpid()))} {
        std::filesystem::remove(path_);
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
        REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    }
    ~notify_socket() {
        ::close(fd_);
        std::filesystem::remove(path_);
    }
    notify_socket(const notify_socket&) = delete;
    notify_socket& operator=(const notify_socket&) = delete;

    std::string path() const { return path_.string(); }

    /// The next datagram, or nullopt after `seconds`.
    std::optional<std::string> receive(int seconds) {
        timeval tv{seconds, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        char buffer[4096];
        const auto n = ::recv(fd_, buffer, sizeof(buffer), 0);
        if (n < 0) return std::nullopt;
        return std::string(buffer, static_cast<std::size_t>(n));
    }

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

}  // namespace

TEST_CASE(
    "integration: under systemd (NOTIFY_SOCKET) serve says READY=1 once ready and STOPPING=1 on SIGTERM",
    "[integration][pg]") {
    const std::string db = pg_harness::instance().fresh_database();
    const auto keys = make_test_keys();
    const std::uint16_t port = free_port();
    notify_socket systemd;
    ::setenv("NOTIFY_SOCKET", systemd.path().c_str(), 1);
    server_process server{memory_serve_args(db, port, keys.encryption_keys, keys.pan_index_key)};
    ::unsetenv("NOTIFY_SOCKET");

    const auto ready = systemd.receive(60);
    REQUIRE(ready);
    CHECK(ready->find("READY=1") != std::string::npos);
    CHECK(ready->find("STATUS=serving on 127.0.0.1:" + std::to_string(port)) != std::string::npos);
    // Told only when true: /ready answers 200 already.
    CHECK(http_request(port, "GET", "/ready").status == 200);

    server.kill(SIGTERM);
    const auto stopping = systemd.receive(30);
    REQUIRE(stopping);
    CHECK(stopping->find("STOPPING=1") != std::string::npos);
    CHECK(server.wait() == 0);
    CHECK_FALSE(systemd.receive(1));  // nothing more, and READY=1 only once
}
