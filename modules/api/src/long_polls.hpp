// The api module's long-poll machinery: the waiters and, where a database URL is known, the LISTEN
// connection whose notifications wake them.
#pragma once

#include "long_poll.hpp"

#include <prequal/api/api_module.hpp>
#include <prequal/pg/listener.hpp>

#include <memory>

namespace prequal::api {

struct api_module::long_polls {
    detail::long_poll_waiters waiters;
    std::unique_ptr<pg::listener> listener;  // created by run() when a listen_conninfo is given
};

}  // namespace prequal::api
