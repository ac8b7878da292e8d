// A strict, flat reading of a JSON object body: the top-level members with their kind and exact text
// (numbers keep their source digits), duplicate keys noted, nesting depth bounded. A top-level member that is
// an object is read one level further the same way (the `consent` object of POST /applications).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prequal::api::detail {

enum class json_kind { string, number, boolean, null, object, array };

struct json_member {
    std::string key;
    json_kind kind = json_kind::null;
    std::string text;  // string contents (unescaped) or the number's source text
    // A top-level object's own members (first occurrence of each key, in order) and its duplicate keys;
    // deeper values only have their kind. Empty for every other member.
    std::vector<json_member> members;
    std::vector<std::string> duplicate_keys;
};

struct flat_object {
    std::vector<json_member> members;  // first occurrence of each key, in order
    std::vector<std::string> duplicate_keys;
    bool is_object = false;  // false: valid JSON, but not an object at the top level
};

/// Parses `body`; nullopt + `error` when it is not valid JSON or deeper than `max_depth`.
std::optional<flat_object> read_flat_object(std::string_view body, std::size_t max_depth, std::string& error);

std::string_view kind_name(json_kind k);

}  // namespace prequal::api::detail
