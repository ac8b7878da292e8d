// The event feed's cursors and query string (contract section 10): cursors round-trip and nothing else is
// accepted; limit is 1–500.
#include <prequal/decision/event_feed.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace decision = prequal::decision;

namespace {

std::vector<std::string> failing(const std::string& target) {
    const auto parsed = decision::parse_feed_query(target);
    const auto* bad = std::get_if<std::vector<prequal::http::error_detail>>(&parsed);
    if (bad == nullptr) return {};
    std::vector<std::string> out;
    for (const auto& d : *bad) out.push_back(d.field);
    return out;
}

}  // namespace

TEST_CASE("unit: event feed cursors round-trip and reject anything else", "[unit]") {
    for (std::int64_t seq : {std::int64_t{0}, std::int64_t{1}, std::int64_t{37}, std::int64_t{1} << 40}) {
        const auto c = decision::encode_cursor(seq);
        CHECK(decision::decode_cursor(c) == seq);
    }
    CHECK(decision::encode_cursor(1) != decision::encode_cursor(2));
    const auto c = decision::encode_cursor(5);
    for (const std::string bad : {std::string{}, std::string{"5"}, c.substr(1), c + "0", "c2" + c.substr(2),
                                  c.substr(0, 5) + "G" + c.substr(6), c.substr(0, 3) + "FFFFFFFFFFFFFFFF"}) {
        INFO(bad);
        CHECK_FALSE(decision::decode_cursor(bad).has_value());
    }
}

TEST_CASE("unit: event feed query: after and limit, with every failing parameter named", "[unit]") {
    const auto defaults = std::get<decision::feed_query>(decision::parse_feed_query("/events"));
    CHECK(defaults.after == 0);
    CHECK(defaults.limit == 100);
    const std::string c = decision::encode_cursor(42);
    const auto q = std::get<decision::feed_query>(decision::parse_feed_query("/events?limit=37&after=" + c));
    CHECK(q.after == 42);
    CHECK(q.limit == 37);
    CHECK(std::get<decision::feed_query>(decision::parse_feed_query("/events?limit=1")).limit == 1);
    CHECK(std::get<decision::feed_query>(decision::parse_feed_query("/events?limit=500")).limit == 500);
    // Percent-encoded parameters decode; unknown ones are ignored.
    CHECK(std::get<decision::feed_query>(decision::parse_feed_query("/events?%61fter=" + c + "&x=1")).after ==
          42);

    CHECK(failing("/events?limit=0") == std::vector<std::string>{"limit"});
    CHECK(failing("/events?limit=501") == std::vector<std::string>{"limit"});
    CHECK(failing("/events?limit=-1") == std::vector<std::string>{"limit"});
    CHECK(failing("/events?limit=ten") == std::vector<std::string>{"limit"});
    CHECK(failing("/events?limit=") == std::vector<std::string>{"limit"});
    CHECK(failing("/events?limit=1.5") == std::vector<std::string>{"limit"});
    CHECK(failing("/events?after=") == std::vector<std::string>{"after"});
    CHECK(failing("/events?after=garbage") == std::vector<std::string>{"after"});
    CHECK(failing("/events?after=" + c + "&after=" + c) == std::vector<std::string>{"after"});
    CHECK(failing("/events?after=%zz") == std::vector<std::string>{"after"});
    CHECK(failing("/events?after=x&limit=0") == std::vector<std::string>{"after", "limit"});
}
