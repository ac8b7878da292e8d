// Where a webhook may be sent: URL syntax and scheme (https, or http with --webhook-allow-private) and the
// SSRF rule of contract section 7: a destination must not resolve to a loopback, private, link-local,
// multicast or otherwise non-public address unless allow_private. The checked addresses are what the client
// connects to, so a DNS answer cannot change between the check and the connect.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace prequal::webhook {

/// A parsed absolute URL.
struct url {
    std::string scheme;        // "https" or "http"
    std::string host;          // DNS name (lower-cased) or IP literal (IPv6 without brackets)
    std::uint16_t port = 443;  // the URL's port, else the scheme's default (443 / 80)
    std::string target = "/";  // path + query, never empty
    std::string text;          // the URL as given
};

/// serve --webhook-allow-private: private/loopback destinations (tests, on-premises receivers), and http.
struct destination_rules {
    bool allow_private = false;
};

/// Parses and checks the syntax and scheme; on failure returns a sentence an operator can act on
/// ("webhook URL must use https (got http); --webhook-allow-private permits http"). Refused: relative URLs,
/// schemes other than http(s), userinfo (credentials in a URL end up in logs), a missing host, a bad port,
/// whitespace or control characters, a fragment.
std::variant<url, std::string> parse_url(std::string_view text, const destination_rules& rules);

/// True for loopback, RFC 1918 / unique-local, link-local, multicast, unspecified, CGNAT 100.64/10,
/// IPv4-mapped / IPv4-compatible / NAT64 forms of those, broadcast, "this network" 0/8, documentation and
/// benchmarking ranges and similar non-public ranges.
bool is_forbidden_address(const boost::asio::ip::address& address);

/// Resolves asynchronously (on the calling coroutine's executor) and checks EVERY address (used at
/// `webhook set` time and by the client before each attempt). Returns the addresses allowed to connect to
/// (never empty), or a sentence ("webhook host example.test resolves to 10.0.0.5, a private address;
/// refused (serve --webhook-allow-private permits it)"). One forbidden address refuses the whole host.
/// Never throws for resolution failures (they are sentences, "webhook host x cannot be resolved: ...").
boost::asio::awaitable<std::variant<std::vector<boost::asio::ip::tcp::endpoint>, std::string>>
resolve_checked(const url& destination, const destination_rules& rules);

}  // namespace prequal::webhook
