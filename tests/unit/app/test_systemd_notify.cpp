// notify_systemd: the sd_notify datagram reaches a path socket and an abstract ('@') one; a missing or
// malformed NOTIFY_SOCKET is a quiet false, never an error of the service.
#include "systemd_notify.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

using namespace prequal::app;

namespace {

// Binds a datagram socket in the abstract namespace under `name` (no leading '@').
int bind_abstract(const std::string& name) {
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + 1, name.data(), name.size());
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) == 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

}  // namespace

TEST_CASE("unit: app: notify_systemd sends the state to an abstract NOTIFY_SOCKET", "[unit][app]") {
    const std::string name = "prequal-test-notify-" + std::to_string(::getpid());
    const int fd = bind_abstract(name);
    ::setenv("NOTIFY_SOCKET", ("@" + name).c_str(), 1);
    CHECK(systemd_notify_requested());
    CHECK(notify_systemd("READY=1\nSTATUS=serving"));
    char buffer[256];
    const auto n = ::recv(fd, buffer, sizeof(buffer), 0);
    REQUIRE(n > 0);
    CHECK(std::string(buffer, static_cast<std::size_t>(n)) == "READY=1\nSTATUS=serving");
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd);
}

TEST_CASE("unit: app: notify_systemd is a quiet false without a usable NOTIFY_SOCKET", "[unit][app]") {
    ::unsetenv("NOTIFY_SOCKET");
    CHECK_FALSE(systemd_notify_requested());
    CHECK_FALSE(notify_systemd("READY=1"));
    for (const char* bad : {"relative/path", "/nonexistent/prequal/notify.sock", ""}) {
        INFO(bad);
        ::setenv("NOTIFY_SOCKET", bad, 1);
        CHECK_FALSE(notify_systemd("READY=1"));
    }
    ::setenv("NOTIFY_SOCKET", ("/" + std::string(200, 'x')).c_str(), 1);  // longer than sun_path
    CHECK_FALSE(notify_systemd("READY=1"));
    ::unsetenv("NOTIFY_SOCKET");
}
