// SAX reading with Boost.JSON's basic_parser: the handler sees each number's source text, which a DOM
// parse would have turned into a double.
#include "json_fields.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>

namespace prequal::api::detail {

namespace json = boost::json;

namespace {

struct flat_handler {
    static constexpr std::size_t max_object_size = 1000;
    static constexpr std::size_t max_array_size = 10000;
    static constexpr std::size_t max_string_size = std::size_t{64} * 1024;
    // As long as any string: a long unknown key is valid JSON and must reach validation (which echoes it
    // truncated), not be called malformed.
    static constexpr std::size_t max_key_size = max_string_size;

    flat_object out;
    std::size_t depth = 0;  // 1 while inside the top-level object, 2 inside one of its members' values
    bool top_is_object = false;
    // While a top-level member's object value is being read (depth 2): that member, else null.
    json_member* child = nullptr;
    std::string key;        // the top-level key in force
    std::string child_key;  // the key in force inside `child`
    std::string buffer;     // string or number being assembled from parts

    // Whether a value at the current depth is recorded (a top-level member, or a member of `child`).
    [[nodiscard]] bool recording() const { return depth == 1 || (depth == 2 && child != nullptr); }

    // Records a value at the current depth; returns the new member, or null (not recorded, or a duplicate).
    json_member* member(json_kind kind, std::string text) {
        if (!recording()) return nullptr;  // deeper values only make their parent's kind
        auto& members = depth == 1 ? out.members : child->members;
        auto& duplicates = depth == 1 ? out.duplicate_keys : child->duplicate_keys;
        const std::string& name = depth == 1 ? key : child_key;
        auto dup =
            std::find_if(members.begin(), members.end(), [&](const json_member& m) { return m.key == name; });
        if (dup != members.end()) {
            if (std::find(duplicates.begin(), duplicates.end(), name) == duplicates.end())
                duplicates.push_back(name);
            return nullptr;
        }
        members.push_back({name, kind, std::move(text), {}, {}});
        return &members.back();
    }

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) {
        if (depth == 0) {
            top_is_object = true;
        } else {
            json_member* m = member(json_kind::object, {});
            // Only a top-level member's object is read further; a duplicate's members are not mixed in.
            if (depth == 1) child = m;
        }
        ++depth;
        return true;
    }
    bool on_object_end(std::size_t, json::error_code&) {
        --depth;
        if (depth == 1) child = nullptr;
        return true;
    }
    bool on_array_begin(json::error_code&) {
        member(json_kind::array, {});
        ++depth;
        return true;
    }
    bool on_array_end(std::size_t, json::error_code&) {
        --depth;
        return true;
    }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
        if (recording()) buffer.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code&) {
        if (recording()) {
            buffer.append(s.data(), s.size());
            (depth == 1 ? key : child_key) = std::move(buffer);
            buffer.clear();
        }
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
        if (recording()) buffer.append(s.data(), s.size());
        return true;
    }
    bool on_string(json::string_view s, std::size_t, json::error_code&) {
        if (recording()) {
            buffer.append(s.data(), s.size());
            member(json_kind::string, std::move(buffer));
        }
        buffer.clear();
        return true;
    }
    bool on_number_part(json::string_view s, json::error_code&) {
        if (recording()) buffer.append(s.data(), s.size());
        return true;
    }
    bool number(json::string_view s) {
        if (recording()) {
            buffer.append(s.data(), s.size());
            member(json_kind::number, std::move(buffer));
        }
        buffer.clear();
        return true;
    }
    bool on_int64(std::int64_t, json::string_view s, json::error_code&) { return number(s); }
    bool on_uint64(std::uint64_t, json::string_view s, json::error_code&) { return number(s); }
    bool on_double(double, json::string_view s, json::error_code&) { return number(s); }
    bool on_bool(bool b, json::error_code&) {
        member(json_kind::boolean, b ? "true" : "false");
        return true;
    }
    bool on_null(json::error_code&) {
        member(json_kind::null, {});
        return true;
    }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }
};

// The parser's own limits reject some valid JSON; say so rather than call the body invalid.
std::string failure_reason(const json::error_code& ec) {
    if (ec == json::error::too_deep) return "JSON nesting exceeds the maximum depth";
    if (ec == json::error::object_too_large || ec == json::error::array_too_large ||
        ec == json::error::key_too_large || ec == json::error::string_too_large)
        return "a JSON object, array or string exceeds the size limit";
    if (ec == json::error::exponent_overflow) return "a number's exponent is too large";
    return "body is not valid JSON";
}

}  // namespace

std::string_view kind_name(json_kind k) {
    switch (k) {
        case json_kind::string:
            return "string";
        case json_kind::number:
            return "number";
        case json_kind::boolean:
            return "boolean";
        case json_kind::null:
            return "null";
        case json_kind::object:
            return "object";
        case json_kind::array:
            return "array";
    }
    return "value";
}

std::optional<flat_object> read_flat_object(std::string_view body, std::size_t max_depth,
                                            std::string& error) {
    json::parse_options opts;
    opts.max_depth = max_depth;
    json::basic_parser<flat_handler> parser{opts};
    json::error_code ec;
    const std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
    if (!ec && used != body.size()) ec = json::error::extra_data;
    if (ec) {
        error = failure_reason(ec);
        return std::nullopt;
    }
    parser.handler().out.is_object = parser.handler().top_is_object;
    return std::move(parser.handler().out);
}

}  // namespace prequal::api::detail
