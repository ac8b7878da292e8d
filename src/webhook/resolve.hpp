// Private: resolve_checked with a resolver the caller owns (so the client can cancel it at its deadline)
// and with the kind of failure kept apart (refused by the rule vs. not resolvable).
#pragma once

#include <prequal/webhook/destination.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <string>
#include <vector>

namespace prequal::webhook::detail {

struct checked_endpoints {
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;  // non-empty on success
    std::string error;                                      // the sentence when empty
    bool refused = false;  // the SSRF rule or the scheme refused it (else: the name did not resolve)
    boost::system::error_code resolve_error;  // set when the resolver failed (operation_aborted: cancelled)
};

boost::asio::awaitable<checked_endpoints> resolve_and_check(boost::asio::ip::tcp::resolver& resolver,
                                                            const url& destination,
                                                            const destination_rules& rules);

}  // namespace prequal::webhook::detail
