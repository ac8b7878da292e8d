// Routing table {method, path pattern} → handler. Patterns are literal segments or {name} captures.
// route() distinguishes an unknown path (404) from a known path with the wrong method (405 + Allow).
#pragma once

#include <prequal/http/message.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prequal::http {

using handler = std::function<boost::asio::awaitable<response>(request&)>;

/// What a route guard decided: a refusal sent instead of the handler's answer, or admission with headers
/// added to the handler's answer (e.g. rate-limit state). The guard may also fill request::client.
struct guard_decision {
    std::optional<response> refusal;
    header_list headers;
};

/// Runs before the handler of every route registered with a permission (an opaque name the guard checks,
/// such as an access scope); routes without one are public and never see it.
using route_guard =
    std::function<boost::asio::awaitable<guard_decision>(request&, std::string_view permission)>;

class router {
public:
    /// `permission` empty: a public route; otherwise the guard (if set) admits each request first.
    void add(std::string method, std::string pattern, handler h, std::string permission = {});

    /// Installs the guard of the routes that name a permission (none: they run unguarded).
    void set_guard(route_guard guard) { guard_ = std::move(guard); }

    /// Dispatches `req` (filling req.path_params): the handler's response, or the contract's 404/405
    /// error (405 carries `Allow`). HEAD is not implied by GET.
    boost::asio::awaitable<response> dispatch(request& req) const;

private:
    struct route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;
        handler h;
        std::string permission;
    };
    std::vector<route> routes_;
    route_guard guard_;
};

}  // namespace prequal::http
