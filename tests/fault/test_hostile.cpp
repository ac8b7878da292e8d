// 10,000 malformed or hostile requests from several threads (random bytes, oversized and too many headers,
// deep JSON, long strings, wrong content types, invalid methods, pipelined garbage, slow clients): the
// service keeps answering, never with a 5xx other than 503, and memory stays bounded.
#include "fault_support.hpp"
#include "service_fixture.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <random>
#include <thread>

using namespace prequal::test;
using namespace std::chrono_literals;

namespace {

int connect_local(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Sends `bytes`, half-closes, and returns what the server wrote until it closed (at most 10 s).
std::string hostile_exchange(std::uint16_t port, const std::string& bytes) {
    const int fd = connect_local(port);
    if (fd < 0) return "CONNECT FAILED";
    std::size_t off = 0;
    while (off < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server may close early (e.g. after a 431); what it sent is still readable
        off += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    std::string out;
    char buf[8192];
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 1000) < 0) break;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

// Every status line in a (possibly pipelined) response stream.
std::vector<int> statuses_in(const std::string& raw) {
    std::vector<int> out;
    for (auto pos = raw.find("HTTP/1.1 "); pos != std::string::npos; pos = raw.find("HTTP/1.1 ", pos + 1))
        out.push_back(std::atoi(raw.c_str() + pos + 9));
    return out;
}

std::string request(const std::string& method, const std::string& target, const std::string& headers,
                    const std::string& body) {
    return method + " " + target + " HTTP/1.1\r\nHost: x\r\n" + headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

std::string hostile(int kind, std::mt19937& rng) {
    auto random_bytes = [&](std::size_t n) {
        std::string s(n, '\0');
        for (auto& c : s) c = static_cast<char>(rng() & 0xff);
        return s;
    };
    const std::string json = "Content-Type: application/json\r\n";
    switch (kind) {
        case 0:
            return random_bytes(1 + rng() % 4096);
        case 1:
            return request("GET", "/health", "X-Huge: " + std::string(64 * 1024, 'h') + "\r\n", "");
        case 2: {
            std::string h;
            for (int i = 0; i < 500; ++i) h += "X-H" + std::to_string(i) + ": v\r\n";
            return request("GET", "/health", h, "");
        }
        case 3:
            return request("POST", "/applications", json, std::string(10000, '['));
        case 4:
            return request("POST", "/applications", json,
                           "{\"pan_number\":\"" + std::string(60000, 'A') + "\",\"monthly_income_inr\":1}");
        case 5:
            return request("POST", "/applications", "Content-Type: application/xml\r\n", "<a>1</a>");
        case 6:
            return "BREW /applications HTTP/1.1\r\nHost: x\r\n\r\n";
        case 7:
            return "GET /health HTTP/1.1\r\nHost: x\r\n\r\n" + random_bytes(200) +
                   "\r\n\r\nGET / HTTP/9.9\r\n\r\n";
        case 8: {
            const std::string body =
                "{\"pan_number\":\"ABCDE1234F\",\"monthly_income_inr\":50000,\"loan_amount_inr\":1}";
            return request("POST", "/applications", json, body.substr(0, rng() % body.size()));
        }
        case 9:
            return request("POST", "/applications", json + "Transfer-Encoding: chunked\r\n",
                           "zz\r\n" + random_bytes(50));
        case 10:
            return request("GET", "/applications/" + random_bytes(40) + "/status", "", "");
        default:
            return request(
                "POST", "/applications", json,
                "{\"pan_number\":\"\\ud800\",\"monthly_income_inr\":1e999999,\"loan_amount_inr\":-0}");
    }
}

}  // namespace

TEST_CASE("fault: 10000 hostile requests: no crash, no 5xx but 503, bounded memory", "[fault][slow]") {
    service_fixture f([](prequal::app::service_config& c) { c.read_timeout = 1s; });
    const auto port = f.port();
    // Warm up allocator pools and the connection pool before the baseline.
    for (int i = 0; i < 20; ++i) f.submit(unique_pan(), "50000", "100000");
    const auto rss_before = resident_kib();

    constexpr int threads = 4;
    constexpr int per_thread = 2500;
    constexpr int kinds = 12;
    std::atomic<int> server_errors{0};
    std::atomic<int> answered{0};
    std::atomic<int> unavailable{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            std::mt19937 rng{static_cast<unsigned>(t * 7919 + 1)};
            for (int i = 0; i < per_thread; ++i) {
                const auto raw = hostile_exchange(port, hostile((i + t) % kinds, rng));
                const auto st = statuses_in(raw);
                if (!st.empty()) ++answered;
                for (int s : st) {
                    if (s == 503)
                        ++unavailable;
                    else if (s >= 500)
                        ++server_errors;
                }
            }
        });
    // Slow clients dribbling one byte every 100 ms: the read timeout (1 s) must cut them off.
    std::atomic<int> cut_off{0};
    std::vector<std::thread> slow;
    for (int s = 0; s < 4; ++s)
        slow.emplace_back([&] {
            const int fd = connect_local(port);
            if (fd < 0) return;
            const std::string text =
                "POST /applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
            for (int i = 0; i < 300; ++i) {  // 30 s of dribbling at most
                const ssize_t n = ::send(fd, text.data() + i % text.size(), 1, MSG_NOSIGNAL);
                pollfd p{fd, POLLIN, 0};
                if (n <= 0 || (::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)))) {
                    ++cut_off;  // the server answered (408) or closed the connection
                    break;
                }
                std::this_thread::sleep_for(100ms);
            }
            ::close(fd);
        });
    for (auto& w : workers) w.join();
    for (auto& s : slow) s.join();
    const auto rss_after = resident_kib();

    CHECK(server_errors == 0);
    CHECK(cut_off == 4);
    CHECK(answered > 0);
    CHECK(http_request(port, "GET", "/health").status == 200);
    const std::string id = f.submit_ok(unique_pan(), "50000", "100000");
    CHECK(f.wait_final(id).at("status").as_string() != "PENDING");
    const auto growth_mib = (rss_after - rss_before) / 1024;
    INFO("VmRSS before " << rss_before << " KiB, after " << rss_after << " KiB");
    CHECK(growth_mib < 200);
    std::cout << "FAULT TABLE | 10,000 hostile requests + 4 slow clients | answered " << answered.load()
              << " | 5xx (not 503) " << server_errors.load() << " | 503 " << unavailable.load()
              << " | slow clients cut off " << cut_off.load() << " | RSS growth " << growth_mib << " MiB"
              << std::endl;
}
