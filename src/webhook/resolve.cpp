// resolve_checked: every address a name resolves to is checked, and one forbidden address refuses the whole
// host (contract: a URL "must not resolve to" such an address). Checking only the address we would pick
// first would let a name with one public and one private record reach the private one on a retry.
#include "resolve.hpp"

#include "address_rules.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <tuple>

namespace prequal::webhook {
namespace detail {

boost::asio::awaitable<checked_endpoints> resolve_and_check(boost::asio::ip::tcp::resolver& resolver,
                                                            const url& destination,
                                                            const destination_rules& rules) {
    checked_endpoints out;
    if (destination.scheme != "https" && !(destination.scheme == "http" && rules.allow_private)) {
        out.refused = true;
        out.error = destination.scheme == "http"
                        ? "webhook URL must use https (got http); --webhook-allow-private permits http"
                        : "webhook URL must use https (got " + destination.scheme + ")";
        co_return out;
    }
    // numeric_service: the port is a number, never a service name looked up in /etc/services.
    auto [ec, results] = co_await resolver.async_resolve(destination.host, std::to_string(destination.port),
                                                         boost::asio::ip::tcp::resolver::numeric_service,
                                                         boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) {
        out.resolve_error = ec;
        out.error = "webhook host " + destination.host + " cannot be resolved: " + ec.message();
        co_return out;
    }
    for (const auto& entry : results) {
        const auto endpoint = entry.endpoint();
        if (!rules.allow_private) {
            if (const auto kind = forbidden_kind(endpoint.address()); !kind.empty()) {
                out.endpoints.clear();
                out.refused = true;
                const auto address = endpoint.address().to_string();
                out.error = "webhook host " + destination.host +
                            (address == destination.host ? " is " : " resolves to " + address + ", ") +
                            std::string(kind) + "; refused (serve --webhook-allow-private permits it)";
                co_return out;
            }
        }
        if (std::find(out.endpoints.begin(), out.endpoints.end(), endpoint) == out.endpoints.end()) {
            out.endpoints.push_back(endpoint);
        }
    }
    if (out.endpoints.empty()) out.error = "webhook host " + destination.host + " resolves to no address";
    co_return out;
}

}  // namespace detail

boost::asio::awaitable<std::variant<std::vector<boost::asio::ip::tcp::endpoint>, std::string>>
resolve_checked(const url& destination, const destination_rules& rules) {
    boost::asio::ip::tcp::resolver resolver(co_await boost::asio::this_coro::executor);
    auto checked = co_await detail::resolve_and_check(resolver, destination, rules);
    if (checked.endpoints.empty()) co_return std::move(checked.error);
    co_return std::move(checked.endpoints);
}

}  // namespace prequal::webhook
