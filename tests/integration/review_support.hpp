// Helpers of the review and event-feed suites (contract section 10): reviews, histories and feed pages over
// HTTP, usable from several threads (no Catch2 macros inside).
#pragma once

#include "http_client.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace prequal::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// POST /applications/{id}/review with the given fields.
http_result post_review(std::uint16_t port, const std::string& id, const std::string& outcome,
                        std::int64_t expected_version, const std::string& reviewer = "Priya Nair",
                        const std::string& reason = "income verified from bank statements",
                        const header_list& headers = {});

/// The error_code of an error body ("" when there is none).
std::string error_code_of(const http_result& r);

/// GET status until it is final or 30 s pass; the last body (status PENDING on timeout, empty object when
/// the request failed).
boost::json::object poll_final(std::uint16_t port, const std::string& id, const header_list& headers = {});

/// One page of GET /events.
struct feed_page {
    int status = 0;
    std::vector<boost::json::object> events;
    std::string next;
};
feed_page read_feed(std::uint16_t port, const std::string& after, int limit, const header_list& headers = {});

}  // namespace prequal::test
