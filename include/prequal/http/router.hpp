// Routing table {method, path pattern} → handler. Patterns are literal segments or {name} captures.
// route() distinguishes an unknown path (404) from a known path with the wrong method (405 + Allow).
#pragma once

#include <prequal/http/message.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <vector>

namespace prequal::http {

using handler = std::function<boost::asio::awaitable<response>(request&)>;

class router {
public:
    void add(std::string method, std::string pattern, handler h);

    /// Dispatches `req` (filling req.path_params): the handler's response, or the contract's 404/405
    /// error (405 carries `Allow`). HEAD is not implied by GET.
    boost::asio::awaitable<response> dispatch(request& req) const;

private:
    struct route {
        std::string method;
        std::vector<std::string> segments;
        handler h;
    };
    std::vector<route> routes_;
};

}  // namespace prequal::http
