// A tiny blocking HTTP/1.1 client for tests (one connection per request, Connection: close), so the
// tests exercise the server over a real socket without pulling Beast into every test file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace prequal::test {

struct http_result {
    int status = 0;                              // 0 when the connection failed or closed early
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string{} : it->second;
    }
};

/// Sends one request to 127.0.0.1:port. `extra_headers` are sent as given; Content-Length is added when
/// a body is present. Times out after 30 s (status 0).
http_result http_request(std::uint16_t port, const std::string& method, const std::string& target,
                         const std::string& body = {},
                         const std::vector<std::pair<std::string, std::string>>& extra_headers = {});

/// POST with Content-Type: application/json.
http_result post_json(std::uint16_t port, const std::string& target, const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& extra_headers = {});

/// Sends raw bytes and returns whatever the server answered until it closed (for malformed requests).
std::string raw_exchange(std::uint16_t port, const std::string& bytes);

}  // namespace prequal::test
