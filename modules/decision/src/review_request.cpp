// Review body validation. The DOM parse keeps the last of duplicate keys, so a small SAX pass looks for
// duplicates first (a body whose meaning depends on which duplicate wins is refused).
#include <prequal/decision/review_request.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <limits>

namespace prequal::decision {

namespace json = boost::json;

namespace {

constexpr std::size_t max_depth = 8;

// Top-level keys only; every other event is accepted and ignored.
struct key_handler {
    static constexpr std::size_t max_object_size = 1000;
    static constexpr std::size_t max_array_size = 10000;
    static constexpr std::size_t max_key_size = std::size_t{64} * 1024;
    static constexpr std::size_t max_string_size = std::size_t{64} * 1024;
    std::size_t depth = 0;
    std::string key;
    std::vector<std::string> keys;
    std::vector<std::string> duplicates;

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) { return ++depth, true; }
    bool on_object_end(std::size_t, json::error_code&) { return --depth, true; }
    bool on_array_begin(json::error_code&) { return ++depth, true; }
    bool on_array_end(std::size_t, json::error_code&) { return --depth, true; }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
        if (depth == 1) key.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code&) {
        if (depth != 1) return true;
        key.append(s.data(), s.size());
        if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
            if (std::find(duplicates.begin(), duplicates.end(), key) == duplicates.end())
                duplicates.push_back(key);
        } else {
            keys.push_back(key);
        }
        key.clear();
        return true;
    }
    bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
    bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
    bool on_double(double, json::string_view, json::error_code&) { return true; }
    bool on_bool(bool, json::error_code&) { return true; }
    bool on_null(json::error_code&) { return true; }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }
};

/// Code points of valid UTF-8 `s`; nullopt when `s` is not valid UTF-8 (Boost.JSON already checked it, so
/// this is a count) or holds a control character.
std::optional<std::size_t> printable_length(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) return std::nullopt;
        if ((c & 0xC0) != 0x80) ++n;  // not a continuation byte
    }
    return n;
}

std::string trimmed(std::string_view s) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return std::string{s};
}

/// A required text field of 1..max characters after trimming; records the problem in `details`.
std::string text_field(const json::object& body, std::string_view name, std::size_t max,
                       std::vector<http::error_detail>& details) {
    const std::string range = "1-" + std::to_string(max) + " characters";
    const json::value* v = body.if_contains(name);
    if (v == nullptr) {
        details.push_back({std::string{name}, "is required"});
        return {};
    }
    if (!v->is_string()) {
        details.push_back({std::string{name}, "must be a string of " + range});
        return {};
    }
    std::string text = trimmed(v->get_string());
    const auto length = printable_length(text);
    if (!length)
        details.push_back({std::string{name}, "must not contain control characters"});
    else if (*length == 0 || *length > max)
        details.push_back({std::string{name}, "must be " + range + " after trimming"});
    return text;
}

}  // namespace

review_parse parse_review_request(std::string_view body) {
    json::parse_options opts;
    opts.max_depth = max_depth;
    json::basic_parser<key_handler> keys{opts};
    json::error_code ec;
    const std::size_t used = keys.write_some(false, body.data(), body.size(), ec);
    if (ec || used != body.size()) return review_malformed{"body is not valid JSON"};
    const json::value doc = json::parse(body, ec, {}, opts);
    if (ec) return review_malformed{"body is not valid JSON"};
    if (!doc.is_object()) return review_invalid{{{"body", "must be a JSON object"}}};
    const json::object& o = doc.get_object();

    std::vector<http::error_detail> details;
    for (const auto& d : keys.handler().duplicates)
        details.push_back({d.substr(0, 64), "appears more than once"});
    for (const auto& kv : o) {
        const std::string_view k = kv.key();
        if (k != "outcome" && k != "reason" && k != "reviewer" && k != "expected_version")
            details.push_back({std::string{k.substr(0, 64)}, "is not a known field"});
    }

    review_request out;
    const json::value* outcome_v = o.if_contains("outcome");
    if (outcome_v == nullptr)
        details.push_back({"outcome", "is required"});
    else if (outcome_v->is_string() && outcome_v->get_string() == "PRE_APPROVED")
        out.result = outcome::pre_approved;
    else if (outcome_v->is_string() && outcome_v->get_string() == "REJECTED")
        out.result = outcome::rejected;
    else
        details.push_back({"outcome", "must be PRE_APPROVED or REJECTED"});

    out.reason = text_field(o, "reason", max_review_reason, details);
    out.reviewer = text_field(o, "reviewer", max_reviewer, details);

    const json::value* version_v = o.if_contains("expected_version");
    if (version_v == nullptr)
        details.push_back({"expected_version", "is required"});
    else if (!version_v->is_int64() || version_v->get_int64() < 1 ||
             version_v->get_int64() > std::numeric_limits<std::int32_t>::max())
        details.push_back({"expected_version", "must be an integer from 1 (the status body's version)"});
    else
        out.expected_version = version_v->get_int64();

    if (!details.empty()) return review_invalid{std::move(details)};
    return out;
}

}  // namespace prequal::decision
