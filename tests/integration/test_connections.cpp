// Connection pressure on the real binary (contract section 6, "Connections"): with --max-connections=200 and
// 200 idle keep-alive connections open, fresh clients are answered because the server closes its
// longest-idle connections, and its descriptors and memory stay bounded.
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace prequal::test;

namespace {

/// One keep-alive connection to 127.0.0.1:port that sends GETs and reads their answers.
class keepalive_client {
public:
    explicit keepalive_client(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{5, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~keepalive_client() { ::close(fd_); }
    keepalive_client(const keepalive_client&) = delete;
    keepalive_client& operator=(const keepalive_client&) = delete;

    /// The status of GET `target` on this connection (0 when it failed or closed); the body into `body`.
    int get(const std::string& target, std::string* body = nullptr) {
        const std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        if (!connected_ ||
            ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) != ssize_t(request.size()))
            return 0;
        std::string in;
        std::size_t head_end;
        while ((head_end = in.find("\r\n\r\n")) == std::string::npos)
            if (!receive(in)) return 0;
        const auto length_at = in.find("Content-Length: ");
        const std::size_t length = length_at < head_end ? std::stoul(in.substr(length_at + 16)) : 0;
        while (in.size() < head_end + 4 + length)
            if (!receive(in)) return 0;
        if (body != nullptr) *body = in.substr(head_end + 4, length);
        return std::stoi(in.substr(9, 3));
    }
    int get_health() { return get("/health"); }

    /// Has the server closed this connection (EOF or reset waiting)?
    bool closed_by_server() const {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) return false;
        char c;
        const auto n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        return n == 0 || (n < 0 && errno == ECONNRESET);
    }

private:
    bool receive(std::string& in) {
        char chunk[4096];
        const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        in.append(chunk, static_cast<std::size_t>(n));
        return true;
    }
    int fd_ = -1;
    bool connected_ = false;
};

std::size_t open_fds(pid_t pid) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
        ++n;
    return n;
}

long rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string word;
    while (status >> word)
        if (word == "VmRSS:") {
            long kib = 0;
            status >> kib;
            return kib;
        }
    return -1;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::seconds timeout = std::chrono::seconds{10}) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return pred();
}

/// The value of an unlabelled series in the server's /metrics, read on an open connection (a new one would
/// shed an idle one).
long metric(keepalive_client& client, const std::string& name) {
    std::string body;
    if (client.get("/metrics", &body) != 200) return -1;
    const auto at = body.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stol(body.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE(
    "integration: with --max-connections=200 and 200 idle keep-alive connections, 50 fresh clients are "
    "answered and descriptors and memory stay bounded",
    "[integration][pg]") {
    const std::string db = pg_harness::instance().fresh_database();
    const auto keys = make_test_keys();
    const std::uint16_t port = free_port();
    auto args = memory_serve_args(db, port, keys.encryption_keys, keys.pan_index_key);
    args.push_back("--max-connections=200");
    server_process server{args};
    wait_healthy(port);
    const pid_t pid = server.pid();
    const auto fds_before = open_fds(pid);
    const auto rss_before = rss_kib(pid);

    std::vector<std::unique_ptr<keepalive_client>> idle;
    for (int i = 0; i < 200; ++i) {
        idle.push_back(std::make_unique<keepalive_client>(port));
        REQUIRE(idle.back()->get_health() == 200);
    }
    std::vector<std::unique_ptr<keepalive_client>> fresh;
    for (int i = 0; i < 50; ++i) {
        INFO("fresh client " << i);
        fresh.push_back(std::make_unique<keepalive_client>(port));
        CHECK(fresh.back()->get_health() == 200);
    }

    // The oldest idle connections made room, not the newest.
    CHECK(eventually([&] {
        int closed = 0;
        for (const auto& c : idle) closed += c->closed_by_server() ? 1 : 0;
        return closed == 50;
    }));
    for (int i = 0; i < 50; ++i) CHECK(idle[i]->closed_by_server());
    for (int i = 50; i < 200; ++i) CHECK_FALSE(idle[i]->closed_by_server());

    // 250 connections were opened, at most 200 are held (the server's own descriptors may vary by a few).
    const auto fds_after = open_fds(pid);
    INFO("server descriptors: " << fds_before << " before, " << fds_after << " after");
    CHECK(fds_after <= fds_before + 200 + 8);
    const auto rss_growth_kib = rss_kib(pid) - rss_before;
    INFO("server RSS growth " << rss_growth_kib << " KiB");
    CHECK(rss_growth_kib < 16 * 1024);

    CHECK(metric(*fresh.back(), "http_connections_shed_total") == 50);
    CHECK(metric(*fresh.back(), "http_connections_rejected_total") == 0);
    for (int i = 50; i < 200; ++i) CHECK(idle[i]->get_health() == 200);
}
