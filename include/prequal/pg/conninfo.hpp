// Connection settings handed to libpq: the user's conninfo, parsed by libpq, completed with TCP liveness
// defaults so that a silent network cut (dropped packets, no RST) is noticed in seconds, not hours.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prequal::pg {

/// TCP settings added to every connection whose conninfo leaves them unset. The client side (libpq's
/// keepalives* and tcp_user_timeout keywords) notices a dead server; the server side (the same settings
/// sent as `options=-c tcp_keepalives_idle=…`) lets the backend notice a dead client, so a transaction
/// cut off half-way does not keep its locks until the kernel's two-hour keepalive default.
/// On Linux, with these values, a connection with unacknowledged data (a statement sent into the void) is
/// declared dead 5 s after the last acknowledgement, and one that waits for an answer or sits idle about
/// 7 s after the last packet it received (first probe after 5 s; once tcp_user_timeout has passed, the
/// next unanswered probe ends it). A live but slow server acknowledges both, so only the operation
/// timeout ends a slow statement. keepalives_count matters where tcp_user_timeout is unsupported (then
/// 5 + 3 × 2 = 11 s). Unix sockets ignore all of them.
struct tcp_liveness {
    std::chrono::seconds keepalives_idle{5};
    std::chrono::seconds keepalives_interval{2};
    int keepalives_count = 3;
    std::chrono::milliseconds user_timeout{5000};
};

/// libpq keyword/value pairs, in the order PQconnectStartParams receives them.
using connection_parameters = std::vector<std::pair<std::string, std::string>>;

/// Parses `conninfo` (a `key=value` string or a `postgresql://` URI) with PQconninfoParse and returns the
/// keywords it sets, followed by `keepalives=1`, `keepalives_idle`, `keepalives_interval`,
/// `keepalives_count`, `tcp_user_timeout` and `options` (the server-side settings) for each of them the
/// user did not set, neither in the string nor through its libpq environment variable (PGOPTIONS).
/// User values always win. With a `service` (in the string or PGSERVICE) nothing is added, because an
/// explicit keyword would override the service file's own settings. Throws pg::error(connect_failed)
/// with libpq's message when the string cannot be parsed.
connection_parameters with_tcp_liveness(std::string_view conninfo, const tcp_liveness& settings = {});

/// The NULL-terminated keyword and value arrays PQconnectStartParams / PQconnectdbParams take. They point
/// into `parameters`, which must outlive them.
struct keyword_arrays {
    explicit keyword_arrays(const connection_parameters& parameters);
    std::vector<const char*> keywords;
    std::vector<const char*> values;
};

}  // namespace prequal::pg
