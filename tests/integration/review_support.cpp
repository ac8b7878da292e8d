// Review and feed helpers for the integration suites.
#include "review_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <thread>

namespace prequal::test {

namespace json = boost::json;

http_result post_review(std::uint16_t port, const std::string& id, const std::string& outcome,
                        std::int64_t expected_version, const std::string& reviewer, const std::string& reason,
                        const header_list& headers) {
    json::object body;
    body["outcome"] = outcome;
    body["reason"] = reason;
    body["reviewer"] = reviewer;
    body["expected_version"] = expected_version;
    return post_json(port, "/applications/" + id + "/review", json::serialize(body), headers);
}

std::string error_code_of(const http_result& r) {
    json::error_code ec;
    const auto v = json::parse(r.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("error_code")) return {};
    return std::string(v.as_object().at("error_code").as_string());
}

boost::json::object poll_final(std::uint16_t port, const std::string& id, const header_list& headers) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    json::object last;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto r = http_request(port, "GET", "/applications/" + id + "/status", {}, headers);
        if (r.status == 200) {
            last = json::parse(r.body).as_object();
            if (last.at("status").as_string() != "PENDING") return last;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return last;
}

feed_page read_feed(std::uint16_t port, const std::string& after, int limit, const header_list& headers) {
    std::string target = "/events?limit=" + std::to_string(limit);
    if (!after.empty()) target += "&after=" + after;
    const auto r = http_request(port, "GET", target, {}, headers);
    feed_page page;
    page.status = r.status;
    if (r.status != 200) return page;
    const auto body = json::parse(r.body).as_object();
    for (const auto& e : body.at("events").as_array()) page.events.push_back(e.as_object());
    page.next = std::string(body.at("next").as_string());
    return page;
}

}  // namespace prequal::test
