// Whether `serve` asks for API keys (contract section 6): --auth=api-key|none, and when not given, the
// loopback rule: none on a loopback address, api-key on any other.
#pragma once

#include <optional>
#include <string_view>

namespace prequal::access {

enum class auth_mode { api_key, none };

/// "api-key" | "none"; nullopt for anything else.
std::optional<auth_mode> parse_auth_mode(std::string_view text);
std::string_view to_string(auth_mode m);

/// True for 127.0.0.0/8 (also IPv4-mapped), ::1 and "localhost" (brackets around an IPv6 address allowed).
/// Anything else, including unspecified addresses such as 0.0.0.0 and ::, is not loopback.
bool is_loopback_host(std::string_view host);

/// The mode in force: the configured one, else by the loopback rule for `listen_host`.
auth_mode resolve_auth_mode(std::optional<auth_mode> configured, std::string_view listen_host);

/// The name of the one client of a process running with --auth=none (and the owner of applications
/// submitted before clients existed).
inline constexpr std::string_view anonymous_client = "anonymous";

}  // namespace prequal::access
