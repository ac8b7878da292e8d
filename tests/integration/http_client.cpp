// Blocking POSIX-socket HTTP client for tests.
#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>

namespace prequal::test {
namespace {

int connect_local(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool send_all(int fd, const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return false;
        off += static_cast<std::size_t>(n);
    }
    return true;
}

std::string read_until_close(int fd, int timeout_ms) {
    std::string out;
    char buf[16384];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds{timeout_ms};
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
                .count();
        if (left <= 0) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

http_result parse_response(const std::string& raw) {
    http_result r;
    const auto head_end = raw.find("\r\n\r\n");
    if (head_end == std::string::npos || raw.compare(0, 5, "HTTP/") != 0) return r;
    const auto sp = raw.find(' ');
    r.status = std::atoi(raw.c_str() + sp + 1);
    std::size_t pos = raw.find("\r\n") + 2;
    while (pos < head_end) {
        const auto eol = raw.find("\r\n", pos);
        const std::string line = raw.substr(pos, eol - pos);
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return std::tolower(c); });
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            r.headers[name] = value;
        }
        pos = eol + 2;
    }
    r.body = raw.substr(head_end + 4);
    if (auto it = r.headers.find("content-length"); it != r.headers.end())
        r.body.resize(std::min<std::size_t>(r.body.size(), std::stoul(it->second)));
    return r;
}

}  // namespace

std::string raw_exchange(std::uint16_t port, const std::string& bytes) {
    int fd = connect_local(port);
    if (fd < 0) return {};
    send_all(fd, bytes);
    std::string out = read_until_close(fd, 30000);
    ::close(fd);
    return out;
}

http_result http_request(std::uint16_t port, const std::string& method, const std::string& target,
                         const std::string& body,
                         const std::vector<std::pair<std::string, std::string>>& extra) {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const auto& [k, v] : extra) req += k + ": " + v + "\r\n";
    if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    return parse_response(raw_exchange(port, req));
}

http_result post_json(std::uint16_t port, const std::string& target, const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& extra_headers) {
    auto headers = extra_headers;
    headers.emplace_back("Content-Type", "application/json");
    return http_request(port, "POST", target, body, headers);
}

}  // namespace prequal::test
